"""Private networks: a pre-shared swarm key in the IPFS PSK v1 text format.

    /key/swarm/psk/1.0.0/
    /base16/
    <64 hex digits>

Peers prove they hold the same key with an HMAC over the handshake transcript; logs only ever
show a fingerprint (a hash of the key), never the key.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import NamedTuple

from fakenet.node.errors import NodeConfigError

_HEADER = "/key/swarm/psk/1.0.0/"
_ENCODING = "/base16/"


class SwarmKey(NamedTuple):
    """A network's pre-shared key (swarm.key): peers prove they hold it in the handshake."""

    key: bytes

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(b"fakenet-psk-fingerprint:" + self.key).hexdigest()[:16]

    def mac(self, transcript: bytes) -> str:
        return hmac.new(self.key, transcript, hashlib.sha256).hexdigest()

    def check(self, transcript: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.mac(transcript), str(mac))

    @staticmethod
    def render(key: bytes) -> str:
        return f"{_HEADER}\n{_ENCODING}\n{key.hex()}\n"


def parse(text: str, source: str = "swarm.key") -> SwarmKey:
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) != 3 or lines[0] != _HEADER or lines[1] != _ENCODING:
        raise NodeConfigError(f"{source}: expected the PSK v1 format ({_HEADER}, {_ENCODING}, 64 hex digits)")
    try:
        key = bytes.fromhex(lines[2])
    except ValueError as exc:
        raise NodeConfigError(f"{source}: the key line is not hex") from exc
    if len(key) != 32:
        raise NodeConfigError(f"{source}: the key must be 64 hex digits, got {len(lines[2])}")
    return SwarmKey(key)


def load(datadir: Path) -> SwarmKey | None:
    path = datadir / "swarm.key"
    return parse(path.read_text(), str(path)) if path.exists() else None
