"""What a node kind is: the one class that owns everything about *what* runs (backends own *where*).

A kind says which image (docker) or command (local) starts a node, with which environment,
which ports it serves by role, where its data dir and identity file are, and how the harness
observes it: readiness, its own identity, and its peers keyed by identity (never by a name the
harness handed it). A kind whose node can filter its own links says so (`link_control`); for the
others the backend filters packets.

Optional capabilities are separate protocols a kind's client implements and declares:

    CHAIN     tips, mining                      ChainClient
    STREAMS   create/load/update/pin, cache      StreamsClient
    CLUSTER   replicated pinning                 ClusterClient
    IDENTITY  an identity file that can be lost     (NodeKind.identity_file; IdentityClient if the
              node trusts peers' keys on first use: start-up waits until it trusts every neighbour's)

Third parties register kinds in the entry-point group `fakenet.kinds` (see fakenet/kinds/__init__.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Protocol, runtime_checkable

from fakenet.errors import ConfigError

if TYPE_CHECKING:  # requests, which RpcClient imports, is ~20 ms of `./fake up`'s start before compose runs
    from fakenet.harness.rpc import RpcClient

CHAIN, STREAMS, CLUSTER, IDENTITY = "chain", "streams", "cluster", "identity"
# What a kind's setting holds, for every front end that reads settings from a user (scenario files,
# pytest markers, the CLI): a whole number, seconds (10, 10s, 500ms), or on/off.
SETTING_TYPES = ("count", "duration", "flag")
CAPABILITIES = (CHAIN, STREAMS, CLUSTER, IDENTITY)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Launch:
    """One node to start, as the backend hands it to the kind."""

    name: str
    peers: tuple[tuple[str, str], ...]  # (peer name, host to dial it at: an IP, or a DNS name in a container network)
    credentials: tuple[str, str]  # RPC user and password: given by environment or file, never on a command line
    bind: str  # the address every port listens on
    datadir: str  # as the node sees it
    settings: Mapping[str, object] = field(default_factory=dict)  # the harness's settings, e.g. cache_limit
    secret: str = ""  # one random secret per network, the same for all its nodes (membership, e.g. a cluster)
    address: str = ""  # where its peers dial it, as they are given it in `peers` ("": its bind address or name)


@dataclass(frozen=True)
class Preloaded:
    """A pre-imported launch of a kind's local process (harness/backends/forkserver.py): a fork
    server runs `preload` once, then each node is a fork of it running `main` with sys.argv
    [main's module file, *args], in the environment `environment()` gives, its return value the
    exit code. For a kind whose node is Python code of this interpreter: an external binary has
    nothing to preload (its kind keeps `local_command` alone)."""

    preload: str  # "module:function": imports all the node will import; starts no thread, loop or RNG
    main: str  # "module:function": the node, as `local_command` would have run it
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tip:
    hash: str
    height: int
    work: int


@dataclass(frozen=True)
class Summary:
    """One status-table row's worth of what a node says about itself."""

    identity: str
    height: int | None  # None for a kind without a chain
    peers: int


class NodeClient(ABC):
    """How the harness observes and steers one node of a kind (one RPC client underneath)."""

    def __init__(self, rpc: RpcClient):
        self.rpc = rpc

    @abstractmethod
    def ready(self) -> bool:
        """Serving: what start-up waits for. Raise FakenetError or OSError while it is not."""

    @abstractmethod
    def identity(self) -> str:
        """The node's own identity, as its peers would report it."""

    @abstractmethod
    def peer_identities(self) -> set[str]:
        """Identities of the peers this node is connected to now."""

    def summary(self) -> Summary:
        """Identity, height and peer count (kinds can answer this in one request)."""
        height = self.tip().height if isinstance(self, ChainClient) else None
        return Summary(self.identity(), height, len(self.peer_identities()))

    def summary_with(self, peers: int, wait: float) -> Summary:
        """summary(), once the node has `peers` peers or after `wait` seconds, whichever first; a kind
        that cannot be asked to wait answers at once (its caller polls)."""
        return self.summary()

    def set_links(self, blocked: set[str], loss: Mapping[str, float], delay: Mapping[str, float], seed: int) -> str:
        """Only for kinds with `link_control`: cut, drop or slow links to peers (by identity); return how."""
        raise ConfigError(f"{type(self).__name__} cannot filter its own links")


@runtime_checkable
class ChainClient(Protocol):
    def tip(self) -> Tip: ...

    def mine(self, blocks: int) -> list[str]: ...

    def chain_tips(self) -> list[dict]: ...


@runtime_checkable
class StreamsClient(Protocol):
    def create_stream(self, content, pin: bool) -> str: ...

    # Calls that may load from the network take `within`: the seconds the node's own settings let a
    # load take (Timing.load_within), passed only where the kind has such a setting; the client
    # waits at least that long for the answer.
    def load_stream(self, stream_id: str, within: float | None = None) -> dict: ...

    def try_load(self, stream_id: str, within: float | None = None) -> bool: ...

    def update_stream(self, stream_id: str, content, within: float | None = None) -> dict: ...

    def pin_stream(self, stream_id: str, within: float | None = None) -> None: ...

    def unpin_stream(self, stream_id: str) -> None: ...

    def evict(self, count: int | None, ids: list[str] | None) -> None: ...

    def pins(self) -> set[str]: ...

    def cache_order(self) -> list[str]: ...


@runtime_checkable
class ClusterClient(Protocol):
    def cluster_pin(self, stream_id: str, rmin: int, rmax: int) -> None: ...

    def live_cluster_peers(self) -> int: ...


@runtime_checkable
class IdentityClient(Protocol):
    def trusted_identities(self) -> set[str]:
        """Identities this node has pinned to a peer address (trust on first use)."""


@runtime_checkable
class IdentityOverride(Protocol):
    def accept_identity(self, old: str, new: str) -> None:
        """The operator's override: trust `new` wherever this node trusted `old`."""


class Transport(Protocol):
    """How an in-process node reaches its peers (on sim: the in-memory wire, which applies cuts)."""

    async def listen(self, accept, host: str, port: int):
        """Call accept(reader, writer) for every connection; returns an object with close()."""

    async def resolve(self, host: str, port: int) -> str: ...

    async def open(self, host: str, port: int):
        """(asyncio.StreamReader, a writer with write/drain/close/get_extra_info)."""


class InProcessNode(ABC):
    """A node as objects in the harness's process, on the sim backend's loop, clock and wire."""

    @abstractmethod
    async def run(self) -> None:
        """Start, then serve until request_stop() or until its tasks are cancelled (a kill)."""

    @abstractmethod
    def request_stop(self) -> None: ...

    @abstractmethod
    def answering(self) -> bool:
        """Whether it takes RPC calls yet."""

    @abstractmethod
    async def call(self, request: bytes):
        """One JSON-RPC request, as the HTTP body a client would send; returns the reply body."""

    def halt(self) -> None:
        """Killed, before its tasks are cancelled: stop loops that would swallow a cancel."""

    def close_files(self) -> None:
        """Killed, after its tasks are cancelled: close what the kernel closes for a dead process."""


class NodeKind(ABC):
    """One class per kind of node. Subclasses set the attributes and implement the methods."""

    name: str
    capabilities: frozenset[str] = frozenset()
    ports: Mapping[str, int] = MappingProxyType({})  # role -> port the node listens on in its own address ("rpc" is required)
    published: tuple[str, ...] = ("rpc",)  # roles published to 127.0.0.1 on the host by `./fake up`
    # Published roles that refuse a client without credentials: the only ones a remote engine of the
    # hosts backend may publish beyond its loopback (the others stay on the engine's 127.0.0.1).
    authenticated: tuple[str, ...] = ("rpc",)
    datadir: str = "/data"  # inside a container
    identity_file: str | None = None  # relative to the data dir: what lose_identity deletes
    link_control: bool = False  # the node filters its own links (the local backend needs it)
    backends: tuple[str, ...] | None = None  # the backends it can run on; None: any (scenarios skip the others)
    test_settings: Mapping[str, object] = MappingProxyType({})  # what a harness network sets unless told otherwise
    settings_schema: Mapping[str, str] = MappingProxyType({})  # setting -> one of SETTING_TYPES: all it accepts
    # The byte limit of the node's stream cache when the cache_bytes setting names none; None: the kind's
    # cache is limited by count alone (the model then predicts by count alone).
    default_cache_bytes: int | None = None
    # A command run in the container when the host cannot reach container addresses: prints the
    # kind's `-getinfo` JSON (blocks, connections.total, and the identity under "peerid").
    status_command: tuple[str, ...] | None = None
    # Exit codes by which a node says its environment failed it, not its own code: code -> what
    # happened, as a verdict says it (harness/ended.py: the infrastructure's fault, not the system's).
    outside_exits: Mapping[int, str] = MappingProxyType({})

    def image(self, progress: Progress, client) -> str:
        """The docker image to run, built if needed; `client` is a docker.DockerClient."""
        raise ConfigError(f"node kind {self.name!r} has no container image: use the local backend")

    def present_image(self, reads) -> str | None:
        """What `image()` would return, if the engine has it already, from read-only questions (`reads`:
        fakenet.engine_reads, which need not import the SDK); None: ask `image()`."""
        return None

    def container_command(self, launch: Launch) -> list[str] | None:
        """The container's command; None runs the image's own."""
        return None

    def local_command(self, launch: Launch) -> list[str]:
        """The argv of a node process for the local backend."""
        raise ConfigError(f"node kind {self.name!r} cannot run as a local process: use the docker backend")

    def local_preloaded(self, launch: Launch) -> Preloaded | None:
        """The same node as `local_command`, launched from a fork server that has imported it; None:
        every start runs `local_command` (FAKENET_FORKSERVER=0 runs it for every kind)."""
        return None

    def in_process_node(self, launch: Launch, transport: Transport) -> InProcessNode:
        """The node as objects in this process (the sim backend), from the Launch every backend gives."""
        raise ConfigError(f"node kind {self.name!r} cannot run in-process (it has no in_process_node): "
                          f"use the local or docker backend")

    @abstractmethod
    def environment(self, launch: Launch) -> dict[str, str]:
        """The node's environment (where credentials go)."""

    @abstractmethod
    def client(self, rpc: RpcClient) -> NodeClient:
        """The kind's client around an RPC client of one node."""

    def credentials(self, environment: Mapping[str, str]) -> tuple[str, str] | None:
        """The RPC credentials in a running node's environment (how `attach` and `status` log in)."""
        return None

    def rpc_path(self) -> str:
        return "/"

    def check_settings(self, settings: Mapping[str, object]) -> None:
        """Refuse settings this kind does not understand (a typo must not be silently ignored)."""
        unknown = sorted(set(settings) - set(self.settings_schema))
        if unknown and not self.settings_schema:
            raise ConfigError(f"node kind {self.name!r} takes no settings, got {', '.join(unknown)}")
        if unknown:
            raise ConfigError(f"the {self.name} kind has no setting {', '.join(unknown)} "
                              f"(it takes {', '.join(sorted(self.settings_schema))})")

    def runs_on(self, backend: str) -> bool:
        if backend == "sim":
            return type(self).in_process_node is not NodeKind.in_process_node
        if backend == "local" and not self.link_control:  # processes share one namespace: no packet filter per node
            return False
        return self.backends is None or backend in self.backends

    def refusal_on(self, backend: str, backends: Iterable[str]) -> str | None:
        """Why this kind cannot run on `backend` (None: it can), naming those of `backends` it runs on."""
        if self.runs_on(backend):
            return None
        able = [name for name in backends if self.runs_on(name)]
        return (f"node kind {self.name!r} cannot run on the {backend} backend; it runs on "
                + (f"{', '.join(able)} (--backend {able[0]})" if able else "no backend here"))

    def missing(self, needed: set[str]) -> set[str]:
        return set(needed) - set(self.capabilities)

    def __repr__(self) -> str:
        return f"<NodeKind {self.name}>"
