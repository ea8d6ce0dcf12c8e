"""The node process: wires identity, swarm, chain, RPC and API together and runs until stopped."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable

from fakenet.node import clock
from fakenet.node.version import __version__
from fakenet.node.errors import NodeError

from fakenet.node import code_gone, datadir, layer_limits, logs, psk, settings as settings_module
from fakenet.node.chain import Chain
from fakenet.node.chain_sync import ChainSync
from fakenet.node.handshake import LocalEnd
from fakenet.node.peerstore import PeerStore
from fakenet.node.rpc import bans, blockchain, control, network, peers, util
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.settings import Settings
from fakenet.node.swarm import Swarm, SwarmSettings
from fakenet.node.transport import TCP, Transport

# The stream layer and the cluster (stream_layer.py): a process node imports them once it answers RPC.
STREAM_LAYER = "fakenet.node.stream_layer"

# Seconds after ready that the stream layer waits, at most, for the swarm to mesh
# (Swarm.wait_meshed): no readiness check asks them (the harness and `up` ask the RPC), and
# their imports are more CPU than a node spends meshing. Longer only when a peer is down or cut.
# The aiohttp apps wait for their first client (HttpPorts.serve_apps_when_asked): their sockets
# are bound since start, so a client is kept waiting in the backlog, not refused.
APPS_AFTER_MESH_AT_MOST = 3.0
# Seconds a node that has just meshed waits before it builds the rest: whoever waited for the mesh
# (`up`, the harness's trust wait) asks its last questions then, and the layer's and the apps'
# imports (~110 ms of CPU a node, every node at once) slowed those answers: `up` returned 220-500 ms
# after the last node meshed, 60-80 ms with the imports a second later (4 nodes, load ~4). A call
# to the layer meanwhile waits, as it would for the import.
SETTLE_AFTER_MESH = 0.3

AUTOMINE_SCRIPT = bytes.fromhex("51")  # OP_TRUE: automined coins are anyone's, this is a test network


def _in_a_thread_once(work: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    """An awaitable that runs `work` in a thread the first time it is awaited; every later or
    concurrent await waits for that same run. For jsonschema (stream_layer.warm): ~55 ms of CPU a
    node paid at start whether or not it ever saw a Model; now its first stream pays it, off the
    event loop (a Model's checks would import it there, holding the loop for as long as it takes,
    seconds on a loaded machine), and the HTTP apps import it with theirs (http_ports._import_apps)."""
    running: list[asyncio.Future] = []

    async def once() -> None:
        if not running:
            running.append(asyncio.get_running_loop().run_in_executor(None, work))
        await asyncio.shield(running[0])

    return once


class Node:
    """`transport` and `serve_http` are the sim backend's seams: it runs many nodes in one process
    over an in-memory transport and calls their RPC registry directly, with no HTTP servers."""

    def __init__(self, settings: Settings, transport: Transport = TCP, serve_http: bool = True):
        self.settings = settings
        self.transport, self.serve_http = transport, serve_http
        self.name = settings.name
        self.network = settings.network
        self.started_at = clock.wall()
        self.version_number = int("".join(f"{int(p):02d}" for p in __version__.split("."))) * 100
        self.ready = False
        self._stop = asyncio.Event()
        self.http = None  # HttpPorts, when serving HTTP
        self._rest: asyncio.Task | None = None  # _start_rest, while it runs
        self._swarm_socket = None  # bound before RPC answers, served by the swarm once the layer is built
        self._failure: BaseException | None = None  # what stopped the node from within, raised by run()
        self._log = logs.get()

    async def start(self) -> None:
        """Until the node answers RPC. A process node (serve_http) then builds the rest in a task of
        its own (_start_rest): importing the stream layer is half of a node's start-up CPU, and
        every readiness check asks the RPC. The sim builds everything before start returns."""
        s = self.settings
        loosened = datadir.make_private(s.datadir)
        if loosened:
            self._log.warning("datadir_made_private", files=",".join(loosened), mode="0700 dir, 0600 files")
        self.identity = datadir.load_or_create_identity(s.datadir)
        self.swarm_key = psk.load(s.datadir)
        self.chain_path = s.datadir / "chain.sqlite"
        self.chain = Chain(self.chain_path, s.network, store=s.store)
        local = LocalEnd(self.identity, s.name, s.announce, s.network, self.swarm_key)
        self.swarm = Swarm(local, PeerStore(s.datadir / "peerstore.json"), s.peers, self.chain.height,
                           SwarmSettings(peer_timeout=s.peer_timeout), self.transport)
        self.sync = ChainSync(self.chain, self.swarm)
        self.registry = self._registry()
        if not self.serve_http:
            importlib.import_module(STREAM_LAYER).build(self)
            await self._start_network()
            self._start_cluster()
            return
        from fakenet.node.http_ports import HttpPorts, listening_socket  # the sim serves no HTTP

        self.registry.expect_more()
        self.http = HttpPorts(self)
        # Bound now, so a port in use fails the start; peers that dial before the swarm serves it
        # wait in the kernel's backlog for a moment, as HTTP clients do (http_ports.py).
        self._swarm_socket = listening_socket(s.bind, s.swarm_port) if self.transport is TCP else None
        await self.http.serve_rpc()
        # The process's CPU so far: what a node costs to start (fakenet/bench/node_start.py reads it).
        self._log.info("rpc_answering", startup_ms=int((clock.wall() - self.started_at) * 1000),
                       cpu_ms=int(time.process_time() * 1000))
        self._rest = asyncio.get_running_loop().create_task(self._start_rest())

    async def _start_rest(self) -> None:
        """After RPC answers: the swarm, then, once it has meshed (or APPS_AFTER_MESH_AT_MOST), the
        stream layer (its modules imported in a thread: an import holds the event loop for as long
        as it runs, seconds on a loaded machine, and the RPC would stall) and the cluster, then,
        once a client first connects to one, the aiohttp ports (http_ports.py); jsonschema waits
        for the first stream (_in_a_thread_once). The handshakes need none of the layer, whose
        import is more CPU than meshing: a peer's frame for it waits until it is built (Swarm.expect_handlers), as
        RPC calls to it do (Registry.expect_more). A part that cannot start stops the node, as it
        would have failed its start."""
        loop = asyncio.get_running_loop()
        try:
            self.swarm.expect_handlers(layer_limits.frame_limits())
            await self._start_network()
            if await self.swarm.wait_meshed(APPS_AFTER_MESH_AT_MOST):
                await asyncio.sleep(SETTLE_AFTER_MESH)  # a pause for the waiters' last questions, not a wait for a condition
            layer = await loop.run_in_executor(None, importlib.import_module, STREAM_LAYER)
            layer.build(self)
            self.streams.prepare = _in_a_thread_once(layer.warm)
            self.registry.complete()
            self.swarm.handlers_complete()
            self._start_cluster()
        except Exception as exc:
            self._fail(exc)
            return
        finally:
            self.registry.complete()
            self.swarm.handlers_complete()  # a node stopping: held frames go on (to no handler) and the loop ends
        try:
            await self.http.serve_apps_when_asked()
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        """Stop the node for a part that could not start; run() raises `exc`."""
        self._failure = exc
        self.request_stop()

    async def _start_network(self) -> None:
        """Listen and dial, then ready."""
        s = self.settings
        sock, self._swarm_socket = self._swarm_socket, None
        await self.swarm.listen(s.bind, s.swarm_port, sock=sock)
        self.swarm.spawn(self.sync.reannounce())
        if s.automine > 0:
            self.swarm.spawn(self._automine(s.automine))
        self.ready = True
        if self.serve_http:
            self.swarm.spawn(self._log_meshed())
        cpu = {"cpu_ms": int(time.process_time() * 1000)} if self.serve_http else {}  # the sim's nodes share a process
        self._log.info("ready", peerid=self.identity.peer_id, network=s.network, height=self.chain.height(),
                       swarmkey=self.swarm_key.fingerprint if self.swarm_key else "none", peers=len(self.swarm.dialled()),
                       startup_ms=int((clock.wall() - self.started_at) * 1000), **cpu)

    def _start_cluster(self) -> None:
        if self.settings.cluster:
            self.cluster.start()

    async def _log_meshed(self) -> None:
        """Say when the swarm first meshed, and the CPU spent by then: what a node costs to join its
        peers (benchmarks/2026-12-06-meshcpu reads it). Never, while a peer stays down."""
        await self.swarm.wait_meshed(None)
        self._log.info("meshed", peers=len(self.swarm.connections),
                       startup_ms=int((clock.wall() - self.started_at) * 1000), cpu_ms=int(time.process_time() * 1000))

    def _registry(self) -> Registry:
        registry = Registry()
        for module in (blockchain, network, peers, bans, util, control):
            module.register(registry, self)
        return registry

    async def _automine(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)  # a timer, not a wait for a condition
            await self.sync.submit(self.chain.mine(AUTOMINE_SCRIPT))

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        await self.start()
        await self._stop.wait()
        self._log.info("stopping")
        self.ready = False
        if self._rest is not None and not self._rest.done():
            self._rest.cancel()  # first: a start still under way must not listen on a swarm being closed
        await self.swarm.close()
        if self.http is not None:
            await self.http.close()
        self.chain.close()
        if self._swarm_socket is not None:
            self._swarm_socket.close()
        close_layer = getattr(sys.modules.get(STREAM_LAYER), "close", None)
        if close_layer is not None:  # a node stopped before it loaded the layer has none of its stores
            close_layer(self)
        if self._failure is not None:
            raise self._failure


SHUTDOWN_GRACE = 3.0  # seconds the remaining tasks get to end after a stop; then the process exits anyway


async def _main(s: Settings) -> None:
    node = Node(s)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, node.request_stop)
    await node.run()
    await _end_remaining_tasks()


async def _end_remaining_tasks() -> None:
    """Cancel what is left and wait a bounded time: asyncio.run would wait forever for a task that
    ignores its cancellation, and Docker would kill the node after its stop timeout. The stores are
    closed by now, so leaving early loses nothing acknowledged."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    if not others:
        return
    _, stuck = await asyncio.wait(others, timeout=SHUTDOWN_GRACE)
    if stuck:
        logs.get().warning("shutdown_tasks_stuck", tasks=",".join(sorted(t.get_coro().__qualname__ for t in stuck)))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _skip_ca_store() -> None:
    """aiohttp builds two TLS client contexts when it is imported, and the verifying one reads the
    system's whole CA store: ~470 M instructions, a fifth of a node's start (BENCHMARKS.md). The
    node opens no TLS connection, so it points OpenSSL at an empty store, whatever the environment
    it inherited says (a TLS client added later would fail to verify: loudly, never insecurely)."""
    os.environ["SSL_CERT_FILE"] = os.environ["SSL_CERT_DIR"] = os.devnull


def preload() -> None:
    """Import everything a process node imports, at start and after it meshes (the stream layer,
    the aiohttp apps, jsonschema), for a fork server whose forks run main() (the local backend's
    fork server, fakenet/zygote.py). Starts nothing: no thread, event loop, log handler or RNG, so
    that every fork begins as a fresh process would; aiohttp's TLS contexts are built against the
    empty store, as main() would have them."""
    _skip_ca_store()
    from fakenet.node import http_ports

    importlib.import_module(STREAM_LAYER).warm()
    http_ports._import_apps()


def main(argv: list[str] | None = None) -> int:
    try:
        s = settings_module.from_args(argv)
    except NodeError as exc:  # a setting the node cannot use (FAKENET_PEERS, a port, a limit): one line, no traceback
        print(f"fakenet-node: {exc}", file=sys.stderr)
        return 2
    os.umask(0o077)  # SQLite's WAL and journal files, and anything else the node creates, stay private
    _skip_ca_store()
    log = logs.setup(s.name, s.debug)
    code_gone.install(log)  # a later import that finds the node's code gone ends it in one line
    try:
        asyncio.run(_main(s))
    except NodeError as exc:
        log.error("fatal", error=str(exc))
        print(f"fakenet-node: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        log.error("fatal", error=str(exc))
        print(f"fakenet-node: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
