"""The node's HTTP ports, in the order a starting node needs them: JSON-RPC first, the rest after.

Readiness is asked over RPC, and the RPC is served by h11 (h11_server.py), so a node answers it
without importing aiohttp, which is more CPU than everything else a node does to start
(BENCHMARKS.md). The other ports — 9094 cluster, 7007 streams, 5101 ceramic-one, 5011 Kubo —
are aiohttp apps, loaded when a client first connects to one of them (serve_apps_when_asked):
their imports are ~110 ms of CPU, a third of what a node spends to be fully up, and a node in a
test network often never gets a request on those ports (the harness and `up` ask the RPC). Their
sockets are bound and listening since start, with the RPC's: that first client is accepted by the
kernel and answered when its app is up, a few hundred milliseconds later, never refused.
"""

from __future__ import annotations

import asyncio
import socket

from fakenet.node import credentials, early, h11_server, logs
from fakenet.node.early import BACKLOG
from fakenet.node.rpc.server import RpcEndpoint


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket `fakenet-node` bound before the imports (early.py), else a new one."""
    return early.take(host, port) or socket.create_server((host, port), family=_family(host, port), backlog=BACKLOG)


def _family(host: str, port: int) -> socket.AddressFamily:
    """An address's own family, else the resolver's: getaddrinfo encodes every name with the idna
    codec, whose import is ~2 ms of a node's start-up CPU, and the bind address is nearly always a literal."""
    return early.family(host) or socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                    flags=socket.AI_PASSIVE)[0][0]


def _import_apps() -> tuple:
    """aiohttp and the four apps. Imported here: the sim, which serves no HTTP, never loads them,
    and a process node loads them after it answers RPC. jsonschema with them: the stream API
    checks a Model's genesis as it arrives, before the stream service would import it off the
    loop (StreamService.prepare)."""
    import jsonschema  # noqa: F401

    from fakenet.node import api, http_guard, ipfs_api
    from fakenet.node.ceramic_one import api as ceramic_one_api
    from fakenet.node.cluster import rest as cluster_rest

    return api, http_guard, ipfs_api, ceramic_one_api, cluster_rest


class HttpPorts:
    """Owns the node's HTTP sockets, servers and aiohttp runners, from bind to close."""

    def __init__(self, node):
        self.node = node
        s = node.settings
        ports = (s.rpc_port, s.cluster_port, s.api_port, s.ceramic_one_port, s.ipfs_port)
        self._sockets = {port: listening_socket(s.bind, port) for port in ports}  # a port in use fails the start
        self._servers: list[asyncio.AbstractServer] = []
        self._runners: list = []  # aiohttp's AppRunners
        self.credentials = credentials.for_server(s.datadir, s.rpcuser, s.rpcpassword)

    async def serve_rpc(self) -> None:
        endpoint = RpcEndpoint(self.node.registry, *self.credentials)
        sock = self._sockets.pop(self.node.settings.rpc_port)
        self._servers.append(await h11_server.serve(endpoint, sock=sock))

    async def serve_apps_when_asked(self) -> None:
        """serve_apps() once a client connects to any of the apps' ports (a listening socket with a
        connection waiting turns readable); until then they cost nothing but their sockets."""
        loop = asyncio.get_running_loop()
        asked = asyncio.Event()
        descriptors = [sock.fileno() for sock in self._sockets.values()]
        for fd in descriptors:
            loop.add_reader(fd, asked.set)
        try:
            await asked.wait()
        finally:  # the servers register these descriptors themselves
            for fd in descriptors:
                loop.remove_reader(fd)
        await self.serve_apps()

    async def serve_apps(self) -> None:
        """The aiohttp apps, on the sockets bound at start. Their modules are imported in a thread:
        an import holds the event loop for as long as it runs (a few seconds on a loaded machine),
        and the swarm, just listening, would time out the handshakes of every peer dialling it then."""
        api, http_guard, ipfs_api, ceramic_one_api, cluster_rest = await asyncio.get_running_loop().run_in_executor(
            None, _import_apps)
        node, s = self.node, self.node.settings
        user, password = self.credentials
        rest_settings = cluster_rest.RestSettings(s.cluster_api_auth, s.cluster_api_lists, s.cluster_body_limit)
        apps = {s.cluster_port: cluster_rest.make_app(node.cluster, user, password, rest_settings),
                s.api_port: api.make_app(node), s.ceramic_one_port: ceramic_one_api.make_app(node),
                s.ipfs_port: ipfs_api.make_app(node, s.ipfs_body_limit, s.ipfs_connect_any)}
        for port, app in apps.items():
            runner, server = await http_guard.serve(app, s.bind, port, sock=self._sockets.pop(port))
            self._runners.append(runner)
            self._servers.append(server)
        logs.get().info("http_apps_serving", ports=",".join(str(port) for port in apps))

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for runner in self._runners:
            await runner.cleanup()
        for sock in self._sockets.values():  # apps that never loaded (no client asked, or a stop during start-up)
            asyncio.get_running_loop().remove_reader(sock.fileno())  # serve_apps_when_asked's, if it still waits
            sock.close()
        user, password = self.credentials
        if user == credentials.COOKIE_USER:
            credentials.remove_cookie(self.node.settings.datadir, password)
