"""Trust on first use: the PeerID first seen at each address is the one expected there ever after.

Only an address this node dialled is trusted on first use: whoever answers there has shown it
listens at that address. An inbound peer merely claims its address (its hello's `announce`), so a
claim is checked against what is trusted but never creates trust; otherwise anyone could claim a
peer's address before this node first dialled it and get the real peer refused there.

A changed identity is refused until the old key comes back or an operator accepts the new one.
"""

from __future__ import annotations

import json
from pathlib import Path

from fakenet.node.datadir import write_atomically


class IdentityChanged(Exception):
    def __init__(self, addr: str, expected: str, got: str):
        super().__init__(f"peer identity changed for {addr}: expected {expected}, got {got}")
        self.addr, self.expected, self.got = addr, expected, got


class PeerStore:
    def __init__(self, path: Path):
        self.path = path
        self.trusted: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        self.refused: dict[str, str] = {}  # addr -> the changed PeerID last refused there

    def check(self, addr: str, peer_id: str) -> None:
        """Trust a first-seen address; raise IdentityChanged when it now presents another key."""
        expected = self.trusted.get(addr)
        if expected is None:
            self._trust(addr, peer_id)
        elif expected != peer_id:
            self.refused[addr] = peer_id
            raise IdentityChanged(addr, expected, peer_id)
        else:
            self.refused.pop(addr, None)

    def check_claim(self, addr: str, peer_id: str) -> None:
        """An inbound peer says it is at `addr`: raise IdentityChanged when another key is trusted there.
        Nothing is recorded, neither trust nor a refusal an operator might later `accept`."""
        expected = self.trusted.get(addr)
        if expected is not None and expected != peer_id:
            raise IdentityChanged(addr, expected, peer_id)

    def accept(self, addr: str, peer_id: str | None = None) -> str:
        """Operator override: trust `peer_id` (default: the one last refused) at `addr`."""
        new = peer_id or self.refused.get(addr)
        if new is None:
            raise KeyError(addr)
        self.refused.pop(addr, None)
        self._trust(addr, new)
        return new

    def expected(self, addr: str) -> str | None:
        return self.trusted.get(addr)

    def _trust(self, addr: str, peer_id: str) -> None:
        self.trusted[addr] = peer_id
        write_atomically(self.path, dumps(self.trusted) + "\n")


def dumps(trusted: dict[str, str]) -> str:
    """json.dumps(trusted, indent=2, sort_keys=True), the same text: with an indent json encodes in
    Python, building its encoder anew on each call, which was most of a first dial's CPU after the
    keys (a thousand sim nodes save their peerstore at every new peer). Strings to strings, as
    _trust stores them, are written here; anything else as json writes it."""
    if not trusted or not all(type(key) is str and type(value) is str for key, value in sorted(trusted.items())):
        return json.dumps(trusted, indent=2, sort_keys=True)
    return "{\n" + ",\n".join(f"  {_string(key)}: {_string(value)}" for key, value in sorted(trusted.items())) + "\n}"


_string = json.encoder.encode_basestring_ascii  # json's own string encoder (ensure_ascii, as dumps' default)
