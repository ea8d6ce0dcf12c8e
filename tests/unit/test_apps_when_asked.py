"""Issue 28: a node loads its aiohttp apps (9094, 7007, 5101, 5011) when a client first connects to
one of them (HttpPorts.serve_apps_when_asked), not at start: their imports are ~110 ms of CPU a
node in a test network often never needs. The client that asks waits in the backlog, not refused."""

import asyncio
import socket
from types import SimpleNamespace

from fakenet.node.http_ports import HttpPorts
from fakenet.node.settings import Settings
from support.http_probes import free_port
from support.swarm_pair import until


def node_on_free_ports(datadir) -> SimpleNamespace:
    """What HttpPorts reads of a node: its settings, every HTTP port a free one."""
    settings = Settings(datadir=datadir, name="n", network="fakenet", bind="127.0.0.1", announce="/ip4/127.0.0.1/tcp/1",
                        rpc_port=free_port(), cluster_port=free_port(), api_port=free_port(),
                        ceramic_one_port=free_port(), ipfs_port=free_port(), rpcuser="u", rpcpassword="p")
    return SimpleNamespace(settings=settings)


def test_the_apps_load_for_their_first_client_and_not_before(tmp_path, monkeypatch):
    node = node_on_free_ports(tmp_path)
    s = node.settings
    served = []

    async def serve_apps(ports):
        served.append(sorted(ports._sockets))

    monkeypatch.setattr(HttpPorts, "serve_apps", serve_apps)

    async def scenario():
        ports = HttpPorts(node)
        ports._sockets.pop(s.rpc_port).close()  # serve_rpc's: the RPC is served at once, not asked for
        waiting = asyncio.create_task(ports.serve_apps_when_asked())
        for _ in range(20):  # the loop turns, and polls the sockets, with nobody connecting
            await asyncio.sleep(0)
        assert served == [], "no client yet: the apps must not load"
        client = socket.create_connection(("127.0.0.1", s.ceramic_one_port), timeout=2)  # any one of the apps' ports
        await until(lambda: served, "the apps to load for the first client")
        await waiting
        assert served == [sorted([s.cluster_port, s.api_port, s.ceramic_one_port, s.ipfs_port])]
        client.close()
        await ports.close()

    asyncio.run(scenario())


def test_a_node_stopped_before_any_client_closes_the_waiting_sockets(tmp_path):
    node = node_on_free_ports(tmp_path)
    s = node.settings

    async def scenario():
        ports = HttpPorts(node)
        waiting = asyncio.create_task(ports.serve_apps_when_asked())
        await asyncio.sleep(0)
        waiting.cancel()  # as Node.run cancels a start under way
        await ports.close()
        for port in (s.rpc_port, s.cluster_port, s.api_port, s.ceramic_one_port, s.ipfs_port):  # every one free again
            socket.create_server(("127.0.0.1", port)).close()

    asyncio.run(scenario())
