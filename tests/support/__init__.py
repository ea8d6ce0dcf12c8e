"""Test helpers written against documented protocols (BIP22/23/34, bitcoin-core RPC), not fakenet's code."""
