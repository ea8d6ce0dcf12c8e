"""RPC calls that hold their answer (waitforconnections): bounded per request, and never past their client."""

import asyncio
import base64
import json
import socket
from types import SimpleNamespace

from fakenet.node.h11_server import serve
from fakenet.node.handshake import LocalEnd
from fakenet.node.identity import Identity
from fakenet.node.peerstore import PeerStore
from fakenet.node.rpc import network
from fakenet.node.rpc.dispatch import Registry, handle
from fakenet.node.rpc.server import RpcEndpoint
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


async def _held_until_hangup(registry: Registry, request: dict) -> bool:
    """Send `request` over HTTP, hang up once it is being held; whether its handler then ends within 5 s."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await serve(RpcEndpoint(registry, "u", "p"), "127.0.0.1", port)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        body = json.dumps(request).encode()
        auth = base64.b64encode(b"u:p").decode()
        writer.write(f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()

        def handlers():
            return [task for task in asyncio.all_tasks() if task.get_coro().__qualname__ == "_Connection._handle"]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not handlers():
            assert loop.time() < deadline, "expected the request to be held"
            await asyncio.sleep(0.01)
        writer.close()
        deadline = loop.time() + 5
        while handlers():
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True
    finally:
        server.close()


def test_a_wait_ends_when_its_client_hangs_up(tmp_path):
    """The port's caps count connections: a held call that outlived its client (connect, ask, hang up,
    again) was a task no cap bounded, for its whole 10 s."""
    request = {"method": "waitforconnections", "params": [1, 10], "id": 1}
    assert asyncio.run(_held_until_hangup(_registry(tmp_path), request)), \
        "expected the held call to end within 5 s of its client hanging up (it waited 10 s)"


def test_a_long_poll_ends_when_its_client_hangs_up():
    """A template long poll held until the tip moved, whoever was still there to hear it."""
    from fakenet.node.rpc import mining

    async def scenario():
        chain = SimpleNamespace(on_tip_changed=[], tip=lambda: SimpleNamespace(hash="aa" * 32),
                                transaction_source=lambda: [])
        registry = Registry()
        mining.register(registry, SimpleNamespace(chain=chain), address_script=None)
        request = {"method": "getblocktemplate", "params": [{"rules": ["segwit"], "longpollid": "aa" * 32}], "id": 1}
        return await _held_until_hangup(registry, request)

    assert asyncio.run(scenario()), "expected the long poll to end within 5 s of its client hanging up"
