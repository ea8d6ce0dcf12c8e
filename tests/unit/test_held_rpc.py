"""RPC calls that hold their answer (waitforconnections): bounded per request, and never past their client."""

import asyncio
import json
from types import SimpleNamespace

from fakenet.node.handshake import LocalEnd
from fakenet.node.identity import Identity
from fakenet.node.peerstore import PeerStore
from fakenet.node.rpc import network
from fakenet.node.rpc.dispatch import Registry, handle
from fakenet.node.swarm import Swarm


def _registry(tmp_path) -> Registry:
    """waitforconnections of a node with no peers: a wait for one link is held to its timeout."""
    local = LocalEnd(Identity.generate(), "node", "/ip4/127.0.0.1/tcp/1", "fakenet", None)
    registry = Registry()
    network.register(registry, SimpleNamespace(swarm=Swarm(local, PeerStore(tmp_path / "p.json"), [], height=lambda: 0)))
    return registry


def test_a_batch_of_waits_is_held_no_longer_than_one_wait(tmp_path, monkeypatch):
    """A batch of 1,000 waits of 10 s each held one request for nearly three hours."""
    monkeypatch.setattr(network, "MAX_CONNECTIONS_WAIT", 0.2)

    async def scenario():
        registry = _registry(tmp_path)
        batch = [{"method": "waitforconnections", "params": [1, 0.2], "id": i} for i in range(20)]
        loop = asyncio.get_running_loop()
        started = loop.time()
        reply = await handle(registry, json.dumps(batch).encode())
        return loop.time() - started, [item["result"] for item in reply.body]

    held, results = asyncio.run(scenario())
    assert results == [0] * 20
    assert held < 2.0, f"expected the batch held about 0.2 s (one wait), not 20 × 0.2 s; held {held:.2f} s"

