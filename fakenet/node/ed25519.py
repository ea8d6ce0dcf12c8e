"""An ed25519 key pair, and a signature checked against the key a name stands for.

The node signs with two kinds of key: its identity (named by a PeerID, identity.py) and a stream
controller (named by a did:key, streams/keys.py). How a key is named differs; how it is made,
signs and is checked does not, so that lives here once. No multiformats here: identity.py needs
this before the node is ready, and multiformats is slow to import.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Self

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from fakenet.node import entropy
from fakenet.node.errors import NodeError

SEED_BYTES = 32


class KeyPair(NamedTuple):
    """A signer; subclasses add the name its public half goes by."""

    private_key: SigningKey

    @classmethod
    def generate(cls) -> Self:
        # libsodium's generate() draws the same 32 bytes from the OS; entropy lets a sim seed replay them
        return cls(SigningKey(entropy.token_bytes(SEED_BYTES)))

    @classmethod
    def from_seed(cls, seed: bytes) -> Self:
        """Same 32-byte seed, same key: lets a test or a scenario replay with the same signer."""
        if len(seed) != SEED_BYTES:
            raise ValueError(f"an ed25519 seed is {SEED_BYTES} bytes, got {len(seed)}")
        return cls(SigningKey(bytes(seed)))

    @property
    def seed(self) -> bytes:
        """The 32-byte ed25519 seed (the private key proper)."""
        return bytes(self.private_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message).signature


def verify(public_key: Callable[[str], VerifyKey], name: str, signature: bytes, message: bytes) -> bool:
    """Whether `signature` over `message` is by the key `public_key(name)` finds; a name it cannot
    read (it raises NodeError or ValueError) verifies nothing."""
    try:
        public_key(name).verify(message, signature)
    except (BadSignatureError, NodeError, ValueError, TypeError):  # ValueError: a signature of the wrong length
        return False
    return True
