"""The swarm's secure channel: what one end seals only the other end opens, once, in order."""

import asyncio

import pytest

from fakenet.node import framing
from fakenet.node.handshake import LocalEnd, authenticate
from fakenet.node.identity import Identity
from fakenet.node.psk import SwarmKey
from fakenet.node.secure_channel import ChannelError, Ephemeral, SecureChannel, hkdf_sha256


def opened(channel: SecureChannel, *frames: bytes) -> list[dict]:
    async def read_all():
        reader = asyncio.StreamReader()
        reader.feed_data(b"".join(frames))
        return [(await channel.read(reader))[0] for _ in frames]
    return asyncio.run(read_all())


def sealed(channel: SecureChannel, count: int) -> list[bytes]:
    return [channel.seal_message({"t": "x", "n": n}) for n in range(count)]


def test_frames_open_in_order_at_the_far_end():
    ours, theirs = SecureChannel.pair()
    assert [m["n"] for m in opened(theirs, *sealed(ours, 3))] == [0, 1, 2]


def test_a_flipped_bit_anywhere_in_a_frame_is_refused():
    for position in (0, 3, 4, 10, -1):
        ours, theirs = SecureChannel.pair()
        frame = bytearray(sealed(ours, 1)[0])
        frame[position] ^= 0x01
        with pytest.raises((ChannelError, framing.FrameError, asyncio.IncompleteReadError)):
            opened(theirs, bytes(frame))


@pytest.mark.parametrize("order", [[0, 0], [1, 0], [1], [0, 2]], ids=["replayed", "reordered", "first dropped",
                                                                      "one dropped"])
def test_a_replayed_reordered_or_dropped_frame_is_refused(order):
    ours, theirs = SecureChannel.pair()
    frames = sealed(ours, 3)
    with pytest.raises(ChannelError, match="failed authentication"):
        opened(theirs, *(frames[i] for i in order))


def test_a_frame_does_not_open_in_the_direction_it_was_not_sealed_for():
    ours, _theirs = SecureChannel.pair()
    with pytest.raises(ChannelError):
        opened(ours, *sealed(ours, 1))


def test_the_plaintext_is_not_on_the_wire():
    ours, _ = SecureChannel.pair()
    assert b"secret-balance" not in ours.seal_message({"t": "x", "v": "secret-balance"})


class Pipe:
    """A writer that feeds a reader, optionally through a tamper function (the man in the middle)."""

    def __init__(self, reader: asyncio.StreamReader, tamper=lambda data: data):
        self.reader, self.tamper = reader, tamper

    def write(self, data):
        self.reader.feed_data(self.tamper(data))

    async def drain(self):
        pass


async def handshake(swarm_keys=(None, None), tamper=lambda data: data):
    to_listener, to_dialer = asyncio.StreamReader(), asyncio.StreamReader()
    dialer = LocalEnd(Identity.generate(), "a", "/ip4/127.0.0.1/tcp/1", "net", swarm_keys[0])
    listener = LocalEnd(Identity.generate(), "b", "/ip4/127.0.0.1/tcp/2", "net", swarm_keys[1])
    return await asyncio.gather(
        authenticate(to_dialer, Pipe(to_listener, tamper), dialer, dialer=True, height=0),
        authenticate(to_listener, Pipe(to_dialer), listener, dialer=False, height=0))


def test_both_ends_of_a_handshake_derive_matching_keys():
    key = SwarmKey(bytes(range(32)))
    (_, dialer), (_, listener) = asyncio.run(handshake((key, key)))
    assert opened(listener, *sealed(dialer, 2))[1]["n"] == 1
    assert opened(dialer, *sealed(listener, 1))[0]["n"] == 0


def test_an_ephemeral_key_swapped_on_the_path_fails_the_handshake():
    """The man in the middle replaces the dialer's ephemeral key with its own: the signature over
    the transcript no longer verifies, so no keys are derived at all."""
    mallory = Ephemeral().public_hex

    def swap(data: bytes) -> bytes:
        if b'"eph":"' not in data:
            return data
        message = framing.decode(data[4:])
        return framing.encode({**message, "eph": mallory})

    with pytest.raises(Exception, match="could not prove"):
        asyncio.run(handshake(tamper=swap))


def test_the_primitives_are_those_of_cryptography_byte_for_byte():
    """Built on libsodium and hmac (secure_channel.py says why), checked against `cryptography`'s
    X25519, HKDF and ChaCha20-Poly1305 where it is installed (the harness has it, the node not)."""
    x25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.x25519")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    ours, theirs = Ephemeral(), x25519.X25519PrivateKey.generate()
    reference_ours = x25519.X25519PrivateKey.from_private_bytes(ours._private)
    assert ours.public_hex == reference_ours.public_key().public_bytes_raw().hex()
    secret = ours.agree(theirs.public_key().public_bytes_raw().hex())
    assert secret == theirs.exchange(reference_ours.public_key())
    salt, info = bytes(range(32)), b"fakenet/2 swarm channel"
    for length in (32, 64, 100):
        reference = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)
        assert hkdf_sha256(secret, salt, info, length) == reference
    sender, receiver = SecureChannel(secret, bytes(32)), ChaCha20Poly1305(secret)
    frame = sender.seal(b'{"t":"ping"}')
    assert receiver.decrypt(bytes(12), frame[4:], frame[:4]) == b'{"t":"ping"}'


@pytest.mark.parametrize("key", ["00" * 32, "01" + "00" * 31, "00" * 31, "zz" * 32])
def test_an_unusable_peer_key_is_a_value_error(key):
    """All zeros and one are low-order points (an all-zero secret); the others are not 32 bytes of hex."""
    with pytest.raises(ValueError):
        Ephemeral().agree(key)


def test_a_direction_whose_nonces_are_spent_refuses_to_seal_or_open_and_counts_from_the_last():
    """Noise reserves nonce 2^64-1: a direction that reaches it is closed, never wrapped to reuse a nonce."""
    from fakenet.node.secure_channel import MAX_NONCE

    ours, theirs = SecureChannel.pair()
    ours._send.count = theirs._receive.count = MAX_NONCE - 1
    assert opened(theirs, ours.seal(b'{"t":"x"}')) == [{"t": "x"}]  # the last nonce there is
    assert ours._send.count == theirs._receive.count == MAX_NONCE
    with pytest.raises(ChannelError, match="nonce space exhausted"):
        ours.seal(b'{"t":"x"}')
    with pytest.raises(ChannelError, match="nonce space exhausted"):
        opened(theirs, b"\x00\x00\x00\x11" + bytes(17))
