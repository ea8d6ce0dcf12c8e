"""A node's identity: an ed25519 key encoded as libp2p does, and the PeerID derived from it.

PeerIDs follow the libp2p peer-id spec: the protobuf-encoded public key (36 bytes for ed25519)
is small enough to be inlined with the identity multihash, so base58btc text reads `12D3KooW…`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, NoEncryption
from multiformats import multibase, multihash, varint

from fakenet.errors import ConfigError

ED25519_KEY_TYPE = 1  # libp2p crypto.pb KeyType.Ed25519
_BASE58 = multibase.get("base58btc")


def _protobuf_key(key_type: int, data: bytes) -> bytes:
    """libp2p's PrivateKey/PublicKey message: field 1 = Type (varint), field 2 = Data (bytes)."""
    return b"\x08" + varint.encode(key_type) + b"\x12" + varint.encode(len(data)) + data


def _parse_protobuf_key(blob: bytes) -> tuple[int, bytes]:
    if len(blob) < 4 or blob[0] != 0x08:
        raise ConfigError("not a libp2p protobuf key (field 1 missing)")
    key_type, used, _ = varint.decode_raw(blob[1:])
    rest = blob[1 + used:]
    if not rest or rest[0] != 0x12:
        raise ConfigError("not a libp2p protobuf key (field 2 missing)")
    length, used, _ = varint.decode_raw(rest[1:])
    data = rest[1 + used:]
    if len(data) != length:
        raise ConfigError("libp2p protobuf key has a wrong length")
    return key_type, data


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def peer_id_from_public(public_key: Ed25519PublicKey) -> str:
    encoded = _protobuf_key(ED25519_KEY_TYPE, _raw_public(public_key))
    return _BASE58.raw_encoder(multihash.wrap(encoded, "identity"))


def public_from_peer_id(peer_id: str) -> Ed25519PublicKey:
    """Recover the key inlined in an ed25519 PeerID; raises ConfigError for anything else."""
    try:
        digest = multihash.unwrap(_BASE58.raw_decoder(peer_id))
    except Exception as exc:  # multiformats raises several unrelated types for bad text
        raise ConfigError(f"not a PeerID: {peer_id!r}") from exc
    key_type, data = _parse_protobuf_key(bytes(digest))
    if key_type != ED25519_KEY_TYPE or len(data) != 32:
        raise ConfigError(f"PeerID {peer_id} does not inline an ed25519 key")
    return Ed25519PublicKey.from_public_bytes(data)


def verify(peer_id: str, signature: bytes, message: bytes) -> bool:
    try:
        public_from_peer_id(peer_id).verify(signature, message)
    except (InvalidSignature, ConfigError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Identity:
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> Identity:
        return cls(Ed25519PrivateKey.generate())

    @property
    def peer_id(self) -> str:
        return peer_id_from_public(self.private_key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def to_config(self) -> dict:
        """`Identity` section of the config: PrivKey holds seed+public (64 bytes) as go-libp2p does."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        blob = _protobuf_key(ED25519_KEY_TYPE, seed + _raw_public(self.private_key.public_key()))
        return {"PeerID": self.peer_id, "PrivKey": base64.b64encode(blob).decode()}

    @classmethod
    def from_config(cls, section: dict) -> Identity:
        """Load and check an `Identity` section; a key that does not match its PeerID is refused."""
        try:
            blob = base64.b64decode(section["PrivKey"], validate=True)
            claimed = section["PeerID"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"config Identity is incomplete or not base64: {exc}") from exc
        key_type, data = _parse_protobuf_key(blob)
        if key_type != ED25519_KEY_TYPE or len(data) not in (32, 64):
            raise ConfigError("config Identity.PrivKey is not an ed25519 key")
        identity = cls(Ed25519PrivateKey.from_private_bytes(data[:32]))
        if identity.peer_id != claimed:
            raise ConfigError(
                f"config Identity.PrivKey does not match Identity.PeerID: the key belongs to "
                f"{identity.peer_id}, the config claims {claimed}; restore the matching config "
                f"or delete it to start with a new identity"
            )
        return identity
