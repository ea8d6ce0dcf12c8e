"""base58btc (the Bitcoin alphabet), the text form of PeerIDs.

Here rather than multiformats' multibase: importing multiformats costs a starting node ~35 ms of
CPU (it validates its 500-entry codec table with typing_validation), a quarter of its start-up, and
a node must know its own PeerID before it answers RPC (BENCHMARKS.md, node start-up). Through
integers, so a call is a few microseconds, not multiformats' 0.1-0.2 ms.
"""

from __future__ import annotations

from fakenet.node.id_text import too_long

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}


def encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))  # each leading zero byte is a leading "1"
    n = int.from_bytes(data, "big")
    digits = []
    while n:
        n, digit = divmod(n, 58)
        digits.append(ALPHABET[digit])
    return "1" * zeros + "".join(reversed(digits))


def decode(text: str) -> bytes:
    """Raises ValueError for a character outside the alphabet, or text too long to be a PeerID
    (id_text.py: through one integer, decoding is quadratic in the length)."""
    if reason := too_long(text, "base58btc text"):
        raise ValueError(reason)
    n = 0
    for c in text:
        try:
            n = n * 58 + _VALUES[c]
        except KeyError:
            raise ValueError(f"not a base58btc character: {c!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")
