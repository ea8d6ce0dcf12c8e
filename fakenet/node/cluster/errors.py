"""Errors of the cluster, under the one fakenet root.

NodeError
└── ClusterError
    ├── NotEnoughPeers   fewer live peers than an item's rmin: refused, as ipfs-cluster refuses it
    │   └── ClusterTooSmall  rmin beyond every peer the cluster has ever had: the request itself is wrong
    └── NotInPinset      an operation on a stream id the cluster pinset does not hold
"""

from __future__ import annotations

from fakenet.node.errors import NodeError


class ClusterError(NodeError):
    """A cluster operation that cannot be done as asked; the message says why."""


class NotEnoughPeers(ClusterError):
    def __init__(self, stream_id: str, rmin: int, live: list[str]):
        super().__init__(f"not enough live cluster peers to allocate {stream_id}: rmin is {rmin}, "
                         f"{len(live)} live ({', '.join(live)})")


class ClusterTooSmall(NotEnoughPeers):
    """No wait for peers could ever satisfy this rmin: a client error (400), not the cluster's (503)."""

    def __init__(self, stream_id: str, rmin: int, live: list[str], known: int):
        super().__init__(stream_id, rmin, live)
        self.args = (f"{self.args[0]}; the cluster has only ever had {known} peer(s)",)


class NotInPinset(ClusterError):
    def __init__(self, stream_id: str):
        super().__init__(f"stream {stream_id} is not in the cluster pinset")
