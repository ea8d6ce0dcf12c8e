"""How long an identifier's text may be before it is decoded.

multiformats' multibase (the `bases` package, every base, base64 included) and base58 (here and
python-bitcoinlib's) read text through one big integer, in time quadratic in its length, on the
node's event loop: 400 kB of `k…` in one unauthenticated /api/v0/multiqueries held every port of
a node, RPC included, 18 s; a 5 MB `validateaddress` held it for hours. Stream ids, CommitIDs,
CIDs, PeerIDs and did:keys are at most a few hundred characters (a CommitID with two sha2-512
CIDs is about 230 in base36), so text past this is refused before any decoding.
"""

from __future__ import annotations

MAX_ID_TEXT = 1024


def too_long(text: str, what: str, limit: int = MAX_ID_TEXT) -> str | None:
    """The reason `text` is refused unread, or None when it is short enough to decode."""
    if len(text) <= limit:
        return None
    return f"{what} of {len(text)} characters is refused unread: at most {limit}"
