"""EventIds as rust-ceramic builds them (core/src/event_id.rs, CIP-124); Recon sorts events by them.

    varint(0xce) varint(0x05) varint(network id)
    last 8 bytes of sha256(sep key ‖ sep value)     events of one model sort together
    last 8 bytes of sha256(controller DID)
    last 4 bytes of the init event's CID
    the event's CID

Network ids as rust-ceramic's Network::id: mainnet 0, testnet-clay 1, dev-unstable 2, in-memory
0xff, local-N 2^32 + N. A fakenet network is a local one, N derived from its name.
"""

from __future__ import annotations

import hashlib

from multiformats import CID, varint

LOCAL_BASE = 0x01_0000_0000


def local_network_id(name: str) -> int:
    """A stable local-N id for a fakenet network name (rust-ceramic takes N as a 32-bit number)."""
    return LOCAL_BASE + int.from_bytes(hashlib.sha256(name.encode()).digest()[-4:], "big")


def interest_prefix(network_id: int, sep_key: str, sep_value: bytes) -> bytes:
    """The bytes every EventId of one interest (sep key and value) begins with."""
    return (varint.encode(0xCE) + varint.encode(0x05) + varint.encode(network_id)
            + hashlib.sha256(sep_key.encode() + sep_value).digest()[-8:])


def build(network_id: int, sep_key: str, sep_value: bytes, controller: str, init: CID, event: CID) -> bytes:
    return (interest_prefix(network_id, sep_key, sep_value) + hashlib.sha256(controller.encode()).digest()[-8:]
            + bytes(init)[-4:] + bytes(event))
