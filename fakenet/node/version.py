"""The node's version, reported by its RPCs; the package's version is this one."""

__version__ = "0.1.0"
