"""Stream controllers: ed25519 keys named by `did:key` DIDs, as Ceramic's key-did-provider does.

A did:key is the public key itself (`did:key:` + base58btc(multicodec ed25519-pub ‖ raw key)),
so verifying a signature needs no resolver and no network: the DID is all there is to know.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from multiformats import multibase, multicodec

DID_KEY_PREFIX = "did:key:"
ED25519_PUB = "ed25519-pub"


class InvalidDid(ValueError):
    """A DID this node cannot verify signatures for (not an ed25519 did:key)."""


def did_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return DID_KEY_PREFIX + multibase.encode(multicodec.wrap(ED25519_PUB, raw), "base58btc")


def public_key_of(did: str) -> Ed25519PublicKey:
    """The ed25519 key a did:key names; a `#fragment` (a verification method id) is ignored."""
    if not did.startswith(DID_KEY_PREFIX + "z"):
        raise InvalidDid(f"not a base58btc did:key: {did!r}")
    try:
        codec, raw = multicodec.unwrap(multibase.decode(did[len(DID_KEY_PREFIX):].split("#")[0]))
    except Exception as exc:  # multiformats raises several unrelated types for bad text
        raise InvalidDid(f"not a did:key: {did!r} ({exc})") from exc
    if codec.name != ED25519_PUB or len(raw) != 32:
        raise InvalidDid(f"{did} is a {codec.name} key; only ed25519 controllers are supported")
    return Ed25519PublicKey.from_public_bytes(bytes(raw))


def verify(did: str, signature: bytes, message: bytes) -> bool:
    try:
        public_key_of(did).verify(signature, message)
    except (InvalidSignature, InvalidDid):
        return False
    return True


@dataclass(frozen=True)
class ControllerKey:
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> ControllerKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> ControllerKey:
        """Same 32-byte seed, same DID: lets a test or a scenario replay with the same controller."""
        if len(seed) != 32:
            raise ValueError(f"an ed25519 seed is 32 bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def did(self) -> str:
        return did_for(self.private_key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)
