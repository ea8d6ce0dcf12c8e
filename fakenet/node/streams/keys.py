"""Stream controllers: ed25519 keys named by `did:key` DIDs, as Ceramic's key-did-provider does.

A did:key is the public key itself (`did:key:` + base58btc(multicodec ed25519-pub ‖ raw key)),
so verifying a signature needs no resolver and no network: the DID is all there is to know.
"""

from __future__ import annotations

import functools

from multiformats import multibase, multicodec
from nacl.signing import VerifyKey

from fakenet.node import ed25519, excerpt
from fakenet.node.id_text import too_long

DID_KEY_PREFIX = "did:key:"
ED25519_PUB = "ed25519-pub"


class InvalidDid(ValueError):
    """A DID this node cannot verify signatures for (not an ed25519 did:key)."""


def did_for(public_key: VerifyKey) -> str:
    return DID_KEY_PREFIX + multibase.encode(multicodec.wrap(ED25519_PUB, bytes(public_key)), "base58btc")


@functools.lru_cache(maxsize=4096)
def public_key_of(did: str) -> VerifyKey:
    """The ed25519 key a did:key names; a `#fragment` (a verification method id) is ignored.
    Cached: a controller signs many events, and multiformats takes most of a millisecond to read
    one (a failure is not cached, so junk costs what it did)."""
    if not did.startswith(DID_KEY_PREFIX + "z"):
        raise InvalidDid(f"not a base58btc did:key: {excerpt.quoted(did)}")
    if reason := too_long(did, "a did:key"):
        raise InvalidDid(reason)
    try:
        codec, raw = multicodec.unwrap(multibase.decode(did[len(DID_KEY_PREFIX):].split("#")[0]))
    except Exception as exc:  # multiformats raises several unrelated types for bad text
        raise InvalidDid(f"not a did:key: {excerpt.quoted(did)} ({exc})") from exc
    if codec.name != ED25519_PUB or len(raw) != 32:
        raise InvalidDid(f"{did} is a {codec.name} key; only ed25519 controllers are supported")
    return VerifyKey(bytes(raw))


def verify(did: str, signature: bytes, message: bytes) -> bool:
    return ed25519.verify(public_key_of, did, signature, message)


class ControllerKey(ed25519.KeyPair):
    @functools.cached_property  # base58 in multiformats is ~1 ms; every commit signed names it twice
    def did(self) -> str:
        return did_for(self.private_key.verify_key)
