"""fakenet: a local peer-to-peer test network (Ceramic/IPFS-style nodes over a small PoW chain)."""

__version__ = "0.1.0"
