"""A node's own view of its cluster items, as it rides on every heartbeat.

Statuses are ipfs-cluster's names. A node lists only the items allocated to it (in its own
view of the live peer set); any other item of the pinset is `remote` there, which keeps the
heartbeat small:

    pinned     allocated here and pinned in this node's pin store
    pinning    allocated here, being loaded (possibly from the network) and pinned
    pin_error  allocated here, the last attempt failed (retried automatically, or by `recover`)
    unpinned   allocated here but not pinned yet; also every peer's status of an id not in the pinset
    remote     in the pinset, allocated to other peers
    cluster_error  (status answers only) the peer is down: no heartbeat for longer than the TTL
"""

from __future__ import annotations

from dataclasses import dataclass, field

PINNED, PINNING, PIN_ERROR, UNPINNED, REMOTE, CLUSTER_ERROR = (
    "pinned", "pinning", "pin_error", "unpinned", "remote", "cluster_error")
LISTED = (PINNED, PINNING, UNPINNED)


@dataclass(frozen=True)
class Report:
    statuses: dict[str, str] = field(default_factory=dict)  # stream id -> one of LISTED or PIN_ERROR
    errors: dict[str, str] = field(default_factory=dict)  # stream id -> why its pin failed

    def status_of(self, stream_id: str) -> str:
        return self.statuses.get(stream_id, REMOTE)

    def to_wire(self) -> dict:
        wire: dict = {status: sorted(s for s, v in self.statuses.items() if v == status) for status in LISTED}
        wire[PIN_ERROR] = dict(self.errors)
        return {key: value for key, value in wire.items() if value}

    @classmethod
    def from_wire(cls, wire: dict) -> Report:
        statuses = {str(s): status for status in LISTED for s in wire.get(status, ())}
        errors = {str(s): str(why) for s, why in dict(wire.get(PIN_ERROR, {})).items()}
        return cls({**statuses, **{s: PIN_ERROR for s in errors}}, errors)
