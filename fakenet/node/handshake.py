"""The swarm handshake: both sides swap a hello, then prove they hold their key (and the swarm key).

    dialer                                        listener
      hello{peer_id, nonce, eph, psk fingerprint}  ->  <- hello{…}
      auth{sig(role|transcript), psk mac}          ->  <- auth{…}
      sealed: ready | reject{reason}               ->  <- sealed: ready | reject{reason}

The transcript binds both nonces, both ephemeral X25519 keys, both PeerIDs and the network name,
so a signature cannot be replayed on another connection and nobody on the path can put their own
ephemeral key in. The keys of the secure channel (secure_channel.py) come from the two ephemeral
keys; from the verdict on, every frame is sealed. `ready` is sent only after the local policy
checks (expected PeerID, trust-on-first-use) passed, so neither side lists a peer the other refused.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

from fakenet.node import entropy, framing
from fakenet.node.identity import Identity, verify
from fakenet.node.psk import SwarmKey
from fakenet.node.secure_channel import Ephemeral, SecureChannel

PROTOCOL = "fakenet/2"  # 2: frames after the handshake are sealed
MAX_FIELD = 256  # characters in a hello's text fields: PeerIDs are 52, addresses and names shorter
EPHEMERAL_HEX = 64  # an X25519 public key, hex
MAX_HANDSHAKE_FRAME = 64 * 1024
HELLO_FIELDS = ("peer_id", "name", "announce", "network", "nonce", "psk", "height", "eph")


class HandshakeError(Exception):
    """The peer could not be authenticated or was refused; the message says why."""


class Hello(NamedTuple):
    """What each end of a new link says about itself in the handshake."""

    peer_id: str
    name: str
    announce: str
    network: str
    nonce: str
    psk: str | None
    height: int
    eph: str = ""  # this connection's X25519 public key (hex)

    @classmethod
    def from_message(cls, message: dict) -> Hello:
        """A peer's hello, every field checked for type and size: they reach logs, the transcript
        and the peerstore, so a hello that is not what we sent ourselves is refused here."""
        try:
            hello = cls(*(message[field] for field in HELLO_FIELDS))
        except KeyError as exc:
            raise HandshakeError(f"hello without {exc}") from exc
        for field in ("peer_id", "name", "announce", "network", "nonce"):
            value = getattr(hello, field)
            if not isinstance(value, str) or not 0 < len(value) <= MAX_FIELD:
                raise HandshakeError(f"hello field {field} is not a string of 1 to {MAX_FIELD} characters")
        if hello.psk is not None and (not isinstance(hello.psk, str) or len(hello.psk) > MAX_FIELD):
            raise HandshakeError("hello field psk is neither null nor a short string")
        if isinstance(hello.height, bool) or not isinstance(hello.height, int) or not 0 <= hello.height < 2**31:
            raise HandshakeError("hello field height is not a block height")
        if not isinstance(hello.eph, str) or len(hello.eph) != EPHEMERAL_HEX:
            raise HandshakeError(f"hello field eph is not an X25519 key ({EPHEMERAL_HEX} hex digits)")
        return hello


class LocalEnd(NamedTuple):
    """This node's side of every handshake: its identity, name, address, network and swarm key."""

    identity: Identity
    name: str
    announce: str
    network: str
    swarm_key: SwarmKey | None


def _transcript(dialer: Hello, listener: Hello) -> bytes:
    parts = (PROTOCOL, dialer.nonce, listener.nonce, dialer.eph, listener.eph, dialer.peer_id, listener.peer_id,
             dialer.network)
    return "|".join(parts).encode()


async def _send(writer: asyncio.StreamWriter, message: dict) -> None:
    writer.write(framing.encode(message))
    await writer.drain()


async def _receive(reader: asyncio.StreamReader, expected_type: str) -> dict:
    message, _ = await framing.read(reader, max_size=MAX_HANDSHAKE_FRAME)
    return _expect(message, expected_type)


def _expect(message: dict, expected_type: str) -> dict:
    if message["t"] == "reject":
        raise HandshakeError(f"peer refused us: {message.get('reason', 'no reason given')}")
    if message["t"] != expected_type:
        raise HandshakeError(f"expected {expected_type}, got {message['t']}")
    return message


def _check_swarm_key(local: LocalEnd, remote: Hello) -> None:
    ours = local.swarm_key.fingerprint if local.swarm_key else None
    if ours != remote.psk:
        raise HandshakeError(
            f"swarm key mismatch: our key fingerprint {ours or 'none (public network)'}, "
            f"peer {remote.peer_id} has {remote.psk or 'none (public network)'}"
        )


async def authenticate(reader, writer, local: LocalEnd, dialer: bool, height: int) -> tuple[Hello, SecureChannel]:
    """Swap hellos and proofs; return the peer's verified hello and the channel both sides derived
    (policy checks are the caller's)."""
    ephemeral = Ephemeral()
    ours = Hello(local.identity.peer_id, local.name, local.announce, local.network, entropy.token_bytes(16).hex(),
                 local.swarm_key.fingerprint if local.swarm_key else None, height, ephemeral.public_hex)
    await _send(writer, {"t": "hello", "proto": PROTOCOL, **ours._asdict()})
    theirs = Hello.from_message(await _receive(reader, "hello"))
    if theirs.network != local.network:
        raise HandshakeError(f"peer {theirs.peer_id} is on network {theirs.network!r}, we are on {local.network!r}")
    _check_swarm_key(local, theirs)
    secret = _agree(ephemeral, theirs)
    transcript = _transcript(*((ours, theirs) if dialer else (theirs, ours)))
    role, peer_role = (b"dialer|", b"listener|") if dialer else (b"listener|", b"dialer|")
    proof = {"t": "auth", "sig": local.identity.sign(role + transcript).hex()}
    if local.swarm_key:
        proof["mac"] = local.swarm_key.mac(transcript)
    await _send(writer, proof)
    auth = await _receive(reader, "auth")
    try:
        signature = bytes.fromhex(str(auth.get("sig", "")))
    except ValueError as exc:
        raise HandshakeError("peer's signature is not hex") from exc
    if not verify(theirs.peer_id, signature, peer_role + transcript):
        raise HandshakeError(f"peer could not prove it holds the key of {theirs.peer_id}")
    if local.swarm_key and not local.swarm_key.check(transcript, auth.get("mac", "")):
        raise HandshakeError(f"peer {theirs.peer_id} could not prove it holds swarm key {local.swarm_key.fingerprint}")
    return theirs, SecureChannel.derive(secret, transcript, local.swarm_key.key if local.swarm_key else None, dialer)


def _agree(ephemeral: Ephemeral, theirs: Hello) -> bytes:
    try:
        return ephemeral.agree(theirs.eph)
    except ValueError as exc:  # not hex, or a low-order point that would give an all-zero secret
        raise HandshakeError(f"peer {theirs.peer_id} sent an unusable ephemeral key: {exc}") from exc


async def conclude(reader, writer, channel: SecureChannel, refusal: str | None) -> None:
    """Tell the peer our verdict, then wait for theirs, both sealed; raise if either side refuses."""
    writer.write(channel.seal_message({"t": "reject", "reason": refusal} if refusal else {"t": "ready"}))
    await writer.drain()
    if refusal:
        raise HandshakeError(refusal)
    message, _ = await channel.read(reader, max_size=MAX_HANDSHAKE_FRAME)
    _expect(message, "ready")
