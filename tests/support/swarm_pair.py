"""Two real swarms (fakenet.node.swarm) on loopback in one event loop, for unit tests of what
happens between two nodes' connections without launching a node."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fakenet.node.handshake import LocalEnd
from fakenet.node.identity import Identity
from fakenet.node.multiaddr import PeerAddr
from fakenet.node.peerstore import PeerStore
from fakenet.node.swarm import Swarm, SwarmSettings

DEADLINE = 10.0  # seconds for a connection to come up or go away on loopback, however busy the machine


async def until(condition, what: str) -> None:
    """Poll `condition` to a deadline (the swarms run in this loop, so it yields between looks)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < deadline, f"expected {what} within {DEADLINE}s; it did not happen"
        await asyncio.sleep(0.01)  # a poll interval, not a wait for the condition


@asynccontextmanager
async def pair(tmp_path, settings: SwarmSettings = SwarmSettings()):
    """Two listening swarms, `a` and `b`, that know nothing of each other yet; closed at the end."""
    swarms = []
    for name in ("a", "b"):
        local = LocalEnd(Identity.generate(), name, "", "fakenet", None)
        node = Swarm(local, PeerStore(tmp_path / f"{name}.json"), [], height=lambda: 0, settings=settings)
        await node.listen("127.0.0.1", 0)
        port = node._server.sockets[0].getsockname()[1]
        node.local = LocalEnd(local.identity, name, f"/ip4/127.0.0.1/tcp/{port}", "fakenet", None)
        swarms.append(node)
    try:
        yield swarms
    finally:
        for node in swarms:
            await node.close()


def address(node: Swarm) -> PeerAddr:
    port = int(node.local.announce.rsplit("/", 1)[1])
    return PeerAddr("ip4", "127.0.0.1", port)
