"""The node process: wires identity, swarm, chain, RPC and API together and runs until stopped."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
from fakenet.node import clock
from fakenet.node.version import __version__
from fakenet.node.errors import NodeError

from fakenet.node import datadir, logs, psk, settings as settings_module
from fakenet.node.anchoring import AnchorService
from fakenet.node.ceramic_one import event_id, recon, stream_states
from fakenet.node.ceramic_one.feed import EventFeed
from fakenet.node.model_index import ModelIndex
from fakenet.node.model_rules import ModelRules
from fakenet.node.chain import Chain
from fakenet.node.chain_sync import ChainSync
from fakenet.node.cluster import rpc as cluster_rpc
from fakenet.node.cluster.auth import ClusterSecret
from fakenet.node.cluster.service import ClusterService, ClusterSettings
from fakenet.node.handshake import LocalEnd
from fakenet.node.peerstore import PeerStore
from fakenet.node.rpc import bans, blockchain, control, network, peers, util, streams as stream_rpc
from fakenet.node.component_news import ComponentNews
from fakenet.node.stream_network import StreamNetwork
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache, mid
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.settings import Settings
from fakenet.node.swarm import Swarm, SwarmSettings
from fakenet.node.transport import TCP, Transport

AUTOMINE_SCRIPT = bytes.fromhex("51")  # OP_TRUE: automined coins are anyone's, this is a test network


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
        self._apps: asyncio.Task | None = None
        self._failure: BaseException | None = None  # what stopped the node from within, raised by run()
        self._log = logs.get()

    async def start(self) -> None:
        s = self.settings
        loosened = datadir.make_private(s.datadir)
        if loosened:
            self._log.warning("datadir_made_private", files=",".join(loosened), mode="0700 dir, 0600 files")
        self.identity = datadir.load_or_create_identity(s.datadir)
        swarm_key = psk.load(s.datadir)
        self.chain_path = s.datadir / "chain.sqlite"
        self.chain = Chain(self.chain_path, s.network, store=s.store)
        local = LocalEnd(self.identity, s.name, s.announce, s.network, swarm_key)
        self.swarm = Swarm(local, PeerStore(s.datadir / "peerstore.json"), s.peers, self.chain.height,
                           SwarmSettings(peer_timeout=s.peer_timeout), self.transport)
        self.sync = ChainSync(self.chain, self.swarm)
        self._start_streams()
        secret = ClusterSecret.derive(s.cluster_secret, swarm_key.key if swarm_key else None, s.network)
        if secret.guessable:
            self._log.warning("cluster_secret_guessable", source=secret.source,
                              hint="set FAKENET_CLUSTER_SECRET (or a swarm.key): any peer on this network can "
                                   "write the pinset")
        self.cluster = ClusterService(self.swarm, self.streams, s.datadir, s.name,
                                      ClusterSettings(s.cluster_ttl, s.cluster_repin, secret))
        self.registry = self._registry()
        if self.serve_http:
            from fakenet.node.http_ports import HttpPorts  # the sim serves no HTTP

            self.http = HttpPorts(self)
            await self.http.serve_rpc()
        await self.swarm.listen(s.bind, s.swarm_port)
        self.swarm.spawn(self.sync.reannounce())
        if s.cluster:
            self.cluster.start()
        if s.automine > 0:
            self.swarm.spawn(self._automine(s.automine))
        self.ready = True
        self._log.info("ready", peerid=self.identity.peer_id, network=s.network, height=self.chain.height(),
                       swarmkey=swarm_key.fingerprint if swarm_key else "none", peers=len(s.peers),
                       startup_ms=int((clock.wall() - self.started_at) * 1000))
        if self.serve_http:
            self._apps = asyncio.get_running_loop().create_task(self._serve_apps())

    async def _serve_apps(self) -> None:
        """After ready: the aiohttp ports (http_ports.py), then jsonschema for the first Model create.
        A port that cannot be served stops the node, as it would have failed its start."""
        try:
            await self.http.serve_apps()
        except Exception as exc:
            self._failure = exc
            self.request_stop()
            return
        asyncio.get_running_loop().run_in_executor(None, mid.warm)

    def _start_streams(self) -> None:
        """The stream layer; the node's own key doubles as the controller key of streams it creates."""
        s = self.settings
        seed = self.identity.seed
        self.pins = PinStore(s.datadir / "state.sqlite", s.store)
        self.streams = StreamService(ControllerKey.from_seed(seed), StreamCache(s.stream_cache_limit), self.pins,
                                     s.sync_timeout)
        self.streams.network = StreamNetwork(self.swarm, self.streams)
        self.component_news = ComponentNews(self.swarm, self.streams)  # after StreamNetwork: adds to its count
        self.anchors = self.streams.anchors = AnchorService(self.chain, self.streams, s.network)
        self.model_index = ModelIndex(s.datadir / "index.sqlite", s.store)
        self.event_feed = EventFeed(s.datadir / "events.sqlite", event_id.local_network_id(s.network), s.store)
        # A MID is checked against its Model as loaded with the feed's events first: a Model the
        # cache evicted is rebuilt from them, not searched for on the network (which may not have it).
        self.streams.rules = ModelRules(functools.partial(stream_states.load, self.streams, self.event_feed))
        self.streams.watchers = [self.model_index, self.event_feed]
        if self.serve_http:  # interests and events come in over 5101 alone: a node without it has none to sync
            self.recon = recon.Recon(self.swarm, self.event_feed, self.streams)
            self.swarm.spawn(self.recon.run())

    def _registry(self) -> Registry:
        registry = Registry()
        for module in (blockchain, network, peers, bans, util, stream_rpc, cluster_rpc, control):
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
        await self.swarm.close()
        if self._apps is not None and not self._apps.done():
            self._apps.cancel()
        if self.http is not None:
            await self.http.close()
        self.chain.close()
        self.pins.close()
        self.model_index.close()
        self.event_feed.close()
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


def main(argv: list[str] | None = None) -> int:
    s = settings_module.from_args(argv)
    os.umask(0o077)  # SQLite's WAL and journal files, and anything else the node creates, stay private
    _skip_ca_store()
    log = logs.setup(s.name, s.debug)
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
