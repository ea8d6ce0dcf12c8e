"""Peer traffic RPCs as bitcoin-core answers them: `ping` (a ping to every peer now; the round
trip shows in getpeerinfo's pingtime) and `getnettotals` (bytes since the node started, closed
connections included: their counts are kept when they go)."""

from __future__ import annotations

from fakenet.node import clock
from fakenet.node.rpc.dispatch import Registry

UPLOAD_TARGET = {"timeframe": 86400, "target": 0, "target_reached": False, "serve_historical_blocks": True,
                 "bytes_left_in_cycle": 0, "time_left_in_cycle": 0}  # no -maxuploadtarget: Core's answer without one


class Totals:
    """Bytes of connections that have closed; the live ones are read from the swarm when asked."""

    def __init__(self, swarm):
        self.swarm, self.sent, self.received = swarm, 0, 0
        swarm.on_disconnect.append(self.closed)

    def closed(self, conn) -> None:
        self.sent += conn.bytessent
        self.received += conn.bytesrecv

    def now(self) -> tuple[int, int]:
        live = list(self.swarm.connections.values())
        return (self.received + sum(c.bytesrecv for c in live), self.sent + sum(c.bytessent for c in live))


def register(registry: Registry, node) -> None:
    swarm = node.swarm
    totals = Totals(swarm)

    @registry.method
    async def ping():
        """Requests that a ping be sent to all other nodes, to measure ping time (getpeerinfo's pingtime)."""
        for conn in list(swarm.connections.values()):
            await conn.ping()
        return None

    @registry.method
    async def getnettotals():
        """Returns information about network traffic, including bytes in, bytes out, and current time."""
        received, sent = totals.now()
        return {"totalbytesrecv": received, "totalbytessent": sent, "timemillis": int(clock.wall() * 1000),
                "uploadtarget": dict(UPLOAD_TARGET)}
