"""Swarm frames after the handshake: sealed with keys only the two ends of the handshake hold.

Modelled on libp2p's Noise channel (Noise_XX_25519_ChaChaPoly_SHA256), built from libsodium
(PyNaCl, which the node loads for its ed25519 identity anyway) and the standard library:

- each side puts a fresh X25519 public key in its hello; the transcript both sides sign covers
  both keys, so nobody on the path can swap them for their own;
- HKDF-SHA256 (RFC 5869, on hmac) over the X25519 secret (and the swarm key, when there is one),
  salted with the transcript's hash, gives one ChaCha20-Poly1305 (IETF) key per direction;
- each direction counts its frames from 0 and the count is the nonce (never sent, never reused:
  a key is dropped before the count wraps). The frame's length prefix is the associated data.

    frame = length (4 bytes, big-endian) | ChaCha20-Poly1305(key, nonce = count, JSON payload, ad = length)

A frame altered on the path, replayed, dropped or reordered fails its tag: the reader raises
FrameError and the connection is closed, as Noise closes on a failed decrypt.

Not `cryptography`: the same primitives, byte for byte (tests/unit/test_secure_channel.py checks
them against it), but its import and its OpenSSL set-up at the first key were 10-40 ms of every
node's CPU between ready and its first handshake, and its Rust extension ~7 MB of its memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import struct
from collections.abc import Mapping

from nacl import bindings as sodium
from nacl._sodium import ffi as _ffi, lib as _lib
from nacl.exceptions import CryptoError

from fakenet.node import entropy, framing

TAG_SIZE = 16
KEY_SIZE = 32
SHA256_SIZE = 32
MAX_NONCE = 2**64 - 1  # Noise reserves 2^64-1; a direction that reaches it must rekey (we close instead)
INFO = b"fakenet/2 swarm channel"


class ChannelError(framing.FrameError):
    """A sealed frame did not open: altered, replayed, reordered or sealed under another key."""


class Ephemeral:
    """This side's X25519 key for one handshake: used once, then forgotten with the handshake."""

    def __init__(self):
        # From the node's entropy source, so a sim seed replays the handshake as it does every key.
        self._private = entropy.token_bytes(KEY_SIZE)  # libsodium clamps it, as RFC 7748 says
        self.public_hex = sodium.crypto_scalarmult_base(self._private).hex()

    def agree(self, their_public_hex: str) -> bytes:
        """The shared secret; ValueError for a key that is not 32 bytes or a low-order point."""
        theirs = bytes.fromhex(their_public_hex)
        if len(theirs) != KEY_SIZE:
            raise ValueError(f"an X25519 public key is {KEY_SIZE} bytes, not {len(theirs)}")
        try:
            return sodium.crypto_scalarmult(self._private, theirs)
        except CryptoError as exc:  # libsodium refuses an all-zero result: a low-order point
            raise ValueError("the peer's X25519 key is a low-order point (all-zero shared secret)") from exc


def hkdf_sha256(secret: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869: extract a key from `secret` under `salt`, then expand it to `length` bytes."""
    key = hmac.digest(salt, secret, hashlib.sha256)
    block, out = b"", b""
    for counter in range(1, -(-length // SHA256_SIZE) + 1):
        block = hmac.digest(key, block + info + bytes([counter]), hashlib.sha256)
        out += block
    return out[:length]


class CipherState:
    """One direction: a key and the count of frames it sealed (or opened)."""

    def __init__(self, key: bytes):
        self._key = key
        self.count = 0

    # libsodium's AEAD called through PyNaCl's cffi handle, not its Python wrappers: those check
    # every argument's type and length and format six error messages on each call, half the cost
    # of a small frame (a sim of 1,000 nodes seals and opens ~230,000 each). Here the key and
    # nonce have their lengths by construction and `ad` is the 4-byte length prefix. The output
    # goes into a bytearray (no cdata to allocate, zero and copy out of): a third less per frame.
    # Each takes the next nonce itself (the count, checked and moved on): every frame passes here.
    def seal(self, plaintext: bytes, ad: bytes) -> bytes:
        return bytes(self.seal_buffer(plaintext, ad))

    def seal_buffer(self, plaintext: bytes, ad: bytes) -> bytearray:
        """`seal`'s bytes in the buffer they were sealed into (`bytes + bytearray` is bytes: no copy of its own)."""
        count = self.count
        if count >= MAX_NONCE:
            raise ChannelError("nonce space exhausted: the connection must be re-established")
        self.count = count + 1
        size = len(plaintext)
        out = bytearray(size + TAG_SIZE)
        _encrypt(_from_buffer(out), _NULL, plaintext, size, ad, len(ad), _NULL, _NONCE(count), self._key)
        return out

    def open(self, sealed: bytes, ad: bytes) -> bytes:
        count = self.count
        if count >= MAX_NONCE:
            raise ChannelError("nonce space exhausted: the connection must be re-established")
        self.count = count + 1
        size = len(sealed)
        if size >= TAG_SIZE:
            out = bytearray(size - TAG_SIZE)
            if _decrypt(_from_buffer(out), _NULL, _NULL, sealed, size, ad, len(ad), _NONCE(count), self._key) == 0:
                return bytes(out)
        raise ChannelError(f"frame {count} failed authentication (altered, replayed or "
                           f"reordered on the path)")


_NONCE = struct.Struct("<4xQ").pack  # 32 zero bits, then the count, little-endian (Noise's nonce for ChaChaPoly)
_encrypt, _decrypt = _lib.crypto_aead_chacha20poly1305_ietf_encrypt, _lib.crypto_aead_chacha20poly1305_ietf_decrypt
_from_buffer, _NULL = _ffi.from_buffer, _ffi.NULL
_LENGTH = framing.LENGTH.pack


class SecureChannel:
    """Both directions of one connection. Frames must be sealed in the order they are written."""

    def __init__(self, send_key: bytes, receive_key: bytes):
        self._send, self._receive = CipherState(send_key), CipherState(receive_key)

    @classmethod
    def derive(cls, secret: bytes, transcript: bytes, psk: bytes | None, dialer: bool) -> SecureChannel:
        keys = hkdf_sha256(secret + (psk or b""), hashlib.sha256(transcript).digest(), INFO, 2 * KEY_SIZE)
        to_listener, to_dialer = keys[:KEY_SIZE], keys[KEY_SIZE:]
        return cls(to_listener, to_dialer) if dialer else cls(to_dialer, to_listener)

    @classmethod
    def pair(cls) -> tuple[SecureChannel, SecureChannel]:
        """Two ends that talk to each other under fresh keys: for in-process links that skip the handshake."""
        a, b = entropy.token_bytes(KEY_SIZE), entropy.token_bytes(KEY_SIZE)
        return cls(a, b), cls(b, a)

    def seal(self, payload: bytes) -> bytes:
        """A frame for the wire from a JSON payload (framing.payload)."""
        prefix = _LENGTH(len(payload) + TAG_SIZE)
        return prefix + self._send.seal_buffer(payload, prefix)

    def seal_message(self, message: dict) -> bytes:
        return self.seal(framing.payload(message))

    async def read(self, reader: asyncio.StreamReader, max_size: int = framing.MAX_FRAME,
                   limits: Mapping[str, int] | None = None) -> tuple[dict, int]:
        """The next message and its size on the wire; ChannelError if it does not open. `limits`
        are per-type payload sizes, checked once the frame opened and before it is decoded."""
        # framing.read_raw's steps, without its coroutine: one layer less on every frame read.
        prefix = await reader.readexactly(framing.LENGTH.size)
        body = await reader.readexactly(framing.body_length(prefix, max_size + TAG_SIZE))
        if len(body) < TAG_SIZE:
            raise ChannelError(f"sealed frame of {len(body)} bytes is shorter than its tag")
        return framing.decode(self._receive.open(body, prefix), limits), framing.LENGTH.size + len(body)
