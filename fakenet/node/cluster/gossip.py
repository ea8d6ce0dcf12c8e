"""The cluster's protocols over the swarm.

    ch {gid, origin, name, announce, boot, seq, sent_at, digest, report, hops}   heartbeat (flooded)
    cp {gid, entry, hops}       a pinset write (flooded)
    cs {entries}                the whole pinset, tombstones included (to one peer: anti-entropy)
    cr {gid, stream, hops}      recover: retry failed pins of one item (or of all, stream=null) (flooded)

Every message is sealed with the cluster secret (auth.py) and dropped unless it opens: only
members change the pinset or count as live peers. Flooded messages are deduplicated by gid and forwarded with a hop limit, as the stream
protocols are. A full state goes to every peer on connect, so two sides of a healed
partition converge at once, and again to a direct peer whose heartbeats show a settled pinset
(same digest twice running) that differs from ours, which repairs any write lost on the way
without resending everything during a burst of writes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from fakenet.node import entropy, logs
from fakenet.node.cluster.auth import ClusterSecret
from fakenet.node.cluster.liveness import Beat
from fakenet.node.cluster.pinset import PinEntry
from fakenet.node.cluster.report import Report
from fakenet.node.connection import Connection

if TYPE_CHECKING:
    from fakenet.node.cluster.service import ClusterService
    from fakenet.node.swarm import Swarm

# Flooded messages travel the whole component: each node passes a gid on once (Seen), so a flood
# costs one message per link whatever the diameter. `hops` stays on the wire, counting down for
# older peers that still read it, but no longer stops a message: a cluster spanning a line of 64
# nodes must hear every heartbeat, or the far end would re-allocate pins of live peers.
HOPS = 1 << 20
MEMORY = 20000  # gids remembered for dedup
FLOODED = ("ch", "cp", "cr")  # message types passed on by gid (cs goes to one peer and has none)
STATE_CHUNK = 1000  # entries per `cs` frame: a large pinset must stay far below the 4 MiB frame limit


class Seen:
    """The gids already handled; forgets the oldest past MEMORY so it cannot grow forever."""

    def __init__(self):
        self._gids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, gid: str) -> bool:
        return gid in self._gids

    def first(self, gid: str) -> bool:
        if gid in self._gids:
            return False
        self._gids[gid] = None
        while len(self._gids) > MEMORY:
            self._gids.popitem(last=False)
        return True


def beat_to_wire(beat: Beat) -> dict:
    return {"t": "ch", "gid": f"{beat.peer_id}/{beat.boot}/{beat.seq}", "origin": beat.peer_id, "name": beat.name,
            "announce": beat.announce, "boot": beat.boot, "seq": beat.seq, "sent_at": beat.sent_at,
            "digest": beat.digest, "report": beat.report.to_wire(), "hops": HOPS}


def beat_from_wire(message: dict) -> Beat:
    return Beat(str(message["origin"]), str(message["name"]), str(message["announce"]), int(message["boot"]),
                int(message["seq"]), float(message["sent_at"]), str(message["digest"]),
                Report.from_wire(message["report"]))


class ClusterGossip:
    def __init__(self, swarm: Swarm, cluster: ClusterService, secret: ClusterSecret):
        self.swarm, self.cluster, self.secret = swarm, cluster, secret
        self._seen = Seen()
        self._log = logs.get()
        self._strangers = Seen()  # connections already logged for unsealed messages
        for message_type, handler in (("ch", self._on_beat), ("cp", self._on_write), ("cs", self._on_state),
                                      ("cr", self._on_recover)):
            swarm.handle(message_type, self._members_only(handler))
        swarm.on_connect.append(self.send_state)

    def _members_only(self, handler):
        async def checked(conn: Connection, message: dict) -> None:
            if message["t"] in FLOODED and str(message.get("gid")) in self._seen:
                # Another copy of a flood handled already (a gid is remembered only once its message
                # opened): each heartbeat comes in on every link, and this skips its MAC, the most
                # CPU a copy costs. A stranger's copy with that gid is dropped as the member's would be.
                return
            if self.secret.opens(message):
                await handler(conn, message)
            elif self._strangers.first(str(conn.id)):  # once per connection: a stranger may send thousands
                self._log.warning("cluster_message_refused", peer=conn.name, peerid=conn.peer_id,
                                  type=message.get("t"), reason="not sealed with this cluster's secret")
        return checked

    # -- sending -------------------------------------------------------------------------------

    async def publish(self, message: dict) -> None:
        self._seen.first(message["gid"])
        await self.swarm.broadcast(self.secret.seal(message))

    async def publish_beat(self, beat: Beat) -> None:
        await self.publish(beat_to_wire(beat))

    async def publish_writes(self, entries: list[PinEntry]) -> None:
        for entry in entries:
            gid = f"{entry.stream_id}/{entry.clock}/{entry.origin}"
            await self.publish({"t": "cp", "gid": gid, "entry": entry.to_json(), "hops": HOPS})

    async def publish_recover(self, stream_id: str | None) -> None:
        await self.publish({"t": "cr", "gid": entropy.token_bytes(8).hex(), "stream": stream_id, "hops": HOPS})

    async def send_state(self, conn: Connection) -> None:
        entries = [entry.to_json() for entry in self.cluster.pinset.entries()]
        for start in range(0, max(len(entries), 1), STATE_CHUNK):
            await conn.send(self.secret.seal({"t": "cs", "entries": entries[start:start + STATE_CHUNK]}))

    # -- receiving -----------------------------------------------------------------------------

    async def _flooded(self, conn: Connection, message: dict) -> bool:
        """Pass a flooded message on (once) and say whether it is new here."""
        if not self._seen.first(str(message["gid"])):
            return False
        await self.swarm.broadcast({**message, "hops": max(1, int(message.get("hops", 1)) - 1)}, exclude=conn)
        return True

    async def _on_beat(self, conn: Connection, message: dict) -> None:
        beat = beat_from_wire(message)
        if beat.peer_id != self.cluster.peer_id and await self._flooded(conn, message):
            await self.cluster.receive_beat(beat, conn)

    async def _on_write(self, conn: Connection, message: dict) -> None:
        entry = PinEntry.from_json(message["entry"])
        if await self._flooded(conn, message):
            self.cluster.receive_entries([entry])

    async def _on_state(self, conn: Connection, message: dict) -> None:
        changed = self.cluster.receive_entries([PinEntry.from_json(item) for item in message["entries"]])
        await self.publish_writes(changed)  # peers behind us missed these too

    async def _on_recover(self, conn: Connection, message: dict) -> None:
        stream = message.get("stream")
        if await self._flooded(conn, message):
            self.cluster.receive_recover(str(stream) if stream is not None else None)
