"""A node's identity: an ed25519 key encoded as libp2p does, and the PeerID derived from it.

PeerIDs follow the libp2p peer-id spec: the protobuf-encoded public key (36 bytes for ed25519)
is small enough to be inlined with the identity multihash, so base58btc text reads `12D3KooW…`.
"""

from __future__ import annotations

import base64
import functools

# PyNaCl (libsodium) rather than cryptography: the same ed25519, but cryptography's Rust extension
# alone put 7 MB into every node's resident memory, a seventh of a node.
from nacl.signing import VerifyKey

from fakenet.node import base58btc, ed25519
from fakenet.node.uvarint import encode as _varint
from fakenet.node.errors import NodeConfigError

ED25519_KEY_TYPE = 1  # libp2p crypto.pb KeyType.Ed25519
IDENTITY_MULTIHASH = 0x00  # the multihash "hash" that is the bytes themselves
# PeerIDs kept decoded/encoded: every handshake needs both ends'. Sized for a simulation's 10,000 nodes sharing one process (a real node meets
# far fewer peers); about 4 MB when full. Failures are not cached (lru_cache keeps no exceptions).
PEER_ID_CACHE = 16384


def _read_varint(blob: bytes, start: int = 0) -> tuple[int, int]:
    """(value, bytes used); NodeConfigError for a truncated, over-long or non-minimal one."""
    value = shift = 0
    for used, byte in enumerate(blob[start:start + 9], 1):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if used > 1 and byte == 0:
                raise NodeConfigError("not a minimal varint")
            return value, used
        shift += 7
    raise NodeConfigError("truncated or over-long varint")


def _protobuf_key(key_type: int, data: bytes) -> bytes:
    """libp2p's PrivateKey/PublicKey message: field 1 = Type (varint), field 2 = Data (bytes)."""
    return b"\x08" + _varint(key_type) + b"\x12" + _varint(len(data)) + data


def _parse_protobuf_key(blob: bytes) -> tuple[int, bytes]:
    if len(blob) < 4 or blob[0] != 0x08:
        raise NodeConfigError("not a libp2p protobuf key (field 1 missing)")
    key_type, used = _read_varint(blob, 1)
    rest = blob[1 + used:]
    if not rest or rest[0] != 0x12:
        raise NodeConfigError("not a libp2p protobuf key (field 2 missing)")
    length, used = _read_varint(rest, 1)
    data = rest[1 + used:]
    if len(data) != length:
        raise NodeConfigError("libp2p protobuf key has a wrong length")
    return key_type, data


def peer_id_from_public(public_key: VerifyKey) -> str:
    return _peer_id(bytes(public_key))


@functools.lru_cache(maxsize=PEER_ID_CACHE)
def _peer_id(public_key: bytes) -> str:
    encoded = _protobuf_key(ED25519_KEY_TYPE, public_key)
    return base58btc.encode(_varint(IDENTITY_MULTIHASH) + _varint(len(encoded)) + encoded)


def public_from_peer_id(peer_id: str) -> VerifyKey:
    """Recover the key inlined in an ed25519 PeerID; raises NodeConfigError for anything else."""
    return VerifyKey(_inlined_key(peer_id))


@functools.lru_cache(maxsize=PEER_ID_CACHE)
def _inlined_key(peer_id: str) -> bytes:
    try:
        multihash = base58btc.decode(peer_id)
        code, used = _read_varint(multihash)
        length, more = _read_varint(multihash, used)
    except (ValueError, TypeError, NodeConfigError) as exc:
        shown = peer_id if len(peer_id) <= 100 else f"{peer_id[:60]}… ({len(peer_id)} characters)"  # never echo MBs
        raise NodeConfigError(f"not a PeerID: {shown!r}") from exc
    digest = multihash[used + more:]
    if code != IDENTITY_MULTIHASH or len(digest) != length:  # a hashed key (RSA's Qm…) is not inlined
        raise NodeConfigError(f"PeerID {peer_id} does not inline an ed25519 key")
    key_type, data = _parse_protobuf_key(digest)
    if key_type != ED25519_KEY_TYPE or len(data) != 32:
        raise NodeConfigError(f"PeerID {peer_id} does not inline an ed25519 key")
    return bytes(data)


def verify(peer_id: str, signature: bytes, message: bytes) -> bool:
    return ed25519.verify(public_from_peer_id, peer_id, signature, message)


class Identity(ed25519.KeyPair):
    @functools.cached_property
    def peer_id(self) -> str:
        """Kept on the identity: every handshake asks for it, and the module's cache of PeerIDs
        is shared by every node of a simulation (10,000 keys would churn it)."""
        return peer_id_from_public(self.private_key.verify_key)

    def to_config(self) -> dict:
        """`Identity` section of the config: PrivKey holds seed+public (64 bytes) as go-libp2p does."""
        blob = _protobuf_key(ED25519_KEY_TYPE, self.seed + bytes(self.private_key.verify_key))
        return {"PeerID": self.peer_id, "PrivKey": base64.b64encode(blob).decode()}

    @classmethod
    def from_config(cls, section: dict) -> Identity:
        """Load and check an `Identity` section; a key that does not match its PeerID is refused."""
        try:
            blob = base64.b64decode(section["PrivKey"], validate=True)
            claimed = section["PeerID"]
        except (KeyError, TypeError, ValueError) as exc:
            raise NodeConfigError(f"config Identity is incomplete or not base64: {exc}") from exc
        key_type, data = _parse_protobuf_key(blob)
        if key_type != ED25519_KEY_TYPE or len(data) not in (32, 64):
            raise NodeConfigError("config Identity.PrivKey is not an ed25519 key")
        identity = cls.from_seed(bytes(data[:32]))
        if identity.peer_id != claimed:
            raise NodeConfigError(
                f"config Identity.PrivKey does not match Identity.PeerID: the key belongs to "
                f"{identity.peer_id}, the config claims {claimed}; restore the matching config "
                f"or delete it to start with a new identity"
            )
        return identity
