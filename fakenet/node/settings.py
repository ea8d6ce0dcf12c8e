"""The node's command line; every flag also reads a FAKENET_* environment variable (for containers).

A container's node has an empty command line and takes everything from the environment; there the
options are read through `_Defaults`, not argparse: what argparse gives for an option not on the
command line is its default, and each default already reads its variable. That skips importing
argparse (and gettext) and building a parser of 30-odd options: ~3 ms of a node's ~110 ms of CPU
before it answers RPC. The options are written once (_add_options), for both.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from fakenet.node import multiaddr
from fakenet.node.database import DISK, STORES
from fakenet.node.errors import NodeConfigError
from fakenet.node.early import API_PORT, BIND_DEFAULT, CERAMIC_ONE_PORT, CLUSTER_PORT, IPFS_PORT, RPC_PORT, SWARM_PORT
from fakenet.node.multiaddr import PeerAddr


class Settings(NamedTuple):
    """Everything a node is started with (the command line's options and their FAKENET_* variables).

    A NamedTuple, not a frozen dataclass: as immutable, but its class is built without compiling
    generated methods at import, which for these 33 fields was 13 M instructions, 3 % of a node's
    start to RPC (callgrind). Change one with `settings._replace(...)`."""

    datadir: Path
    name: str
    network: str
    bind: str
    announce: str
    peers: tuple[PeerAddr, ...] = ()
    swarm_port: int = SWARM_PORT
    rpc_port: int = RPC_PORT
    api_port: int = API_PORT
    ipfs_port: int = IPFS_PORT
    ceramic_one_port: int = CERAMIC_ONE_PORT
    rpcuser: str | None = None
    rpcpassword: str | None = None
    automine: float = 0.0
    peer_timeout: float = 4.0
    stream_cache_limit: int = 500
    stream_cache_bytes: int = 64 * 1024 * 1024
    sync_timeout: float = 3.0
    cluster_port: int = CLUSTER_PORT
    cluster_ttl: float = 5.0
    cluster_repin: bool = True
    cluster: bool = True  # heartbeats and re-allocation; off, a node only answers cluster calls
    cluster_secret: str | None = None
    debug: bool = False
    cluster_api_auth: bool = True
    cluster_api_lists: str = "stream"
    cluster_body_limit: int = 1024 * 1024
    ipfs_body_limit: int = 1024 * 1024
    ipfs_connect_any: bool = False
    cors_allowed_origins: tuple[str, ...] = ()
    api_body_limit: int = 1024 * 1024
    api_admin_token: str | None = None
    store: str = DISK  # where every SQLite store of the node lives: disk or memory (database.py)
    interest_limit: int = 1000  # ceramic-one interests held (feed.py; why 1,000: recon.py's docstring)


BOOLEAN = "boolean"  # the action of a --flag/--no-flag option (argparse.BooleanOptionalAction, registered by parser())


def _env(name: str, default=None):
    return os.environ.get(f"FAKENET_{name}", default)


def _truthy(name: str, default: str) -> bool:
    return _env(name, default).lower() not in ("0", "false", "no", "off", "")


class _Number:
    """The `type` of a numeric option whose default comes from FAKENET_<NAME>: parses the command
    line's or the variable's text, and refuses what the node cannot use (text, a negative count, a
    port out of range, NaN or an infinity as seconds: a NaN timeout breaks asyncio's timer heap)
    with a NodeConfigError that names both ways of setting it, never a traceback. Options given as
    text are converted by argparse and by _Defaults alike."""

    def __init__(self, flag: str, convert, low, high=None, *, above: bool = False, what: str):
        self.flag, self.convert, self.low, self.high, self.above, self.what = flag, convert, low, high, above, what
        self.__name__ = what  # argparse names a type by it

    def __call__(self, text):
        try:
            value = self.convert(text)
        except (TypeError, ValueError):
            value = None
        if value is None or value != value or value in (float("inf"), float("-inf")) \
                or (value <= self.low if self.above else value < self.low) or (self.high is not None and value > self.high):
            variable = "FAKENET_" + self.flag.upper().replace("-", "_")
            raise NodeConfigError(f"--{self.flag} (or {variable}) is {text!r}: expected {self.what}")
        return value


def _seconds(flag: str, *, above_zero: bool = False) -> _Number:
    return _Number(flag, float, 0.0, above=above_zero,
                   what="a number of seconds above 0" if above_zero else "a number of seconds, 0 or more")


def _count(flag: str, low: int = 0) -> _Number:
    return _Number(flag, int, low, what=f"a whole number, {low} or more")


def _port(flag: str) -> _Number:
    return _Number(flag, int, 1, 65535, what="a port from 1 to 65535")


@functools.cache
def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size reads it (COLUMNS, the terminal, else 80)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def parser():
    """The command line's parser (argparse.ArgumentParser)."""
    import argparse

    class Formatter(argparse.HelpFormatter):
        """argparse's, with the width read once: the stock one imports shutil and asks the terminal
        on each of the parser's 30-odd add_argument calls, ~3 ms of a node's start-up CPU."""

        def __init__(self, prog: str):
            super().__init__(prog, width=_columns() - 2)

    p = argparse.ArgumentParser(prog="fakenet-node", description="Run one fakenet node (swarm, chain, RPC, API).",
                                formatter_class=Formatter)
    p.register("action", BOOLEAN, argparse.BooleanOptionalAction)
    _add_options(p)
    return p


class _Defaults:
    """Takes add_argument calls as a parser would and keeps each option's value on an empty command
    line: its default, converted by its `type` when it is a string, as argparse does. (argparse
    checks `choices` only on values given on the command line, never on a default: neither does this.)"""

    def __init__(self):
        self.values: dict[str, object] = {}

    def add_argument(self, flag: str, *, default=None, type=None, dest=None, **_) -> None:
        if isinstance(default, str) and type is not None:
            default = type(default)
        self.values[dest or flag.lstrip("-").replace("-", "_")] = default

    def namespace(self) -> SimpleNamespace:
        return SimpleNamespace(**self.values)


def _defaults() -> SimpleNamespace:
    """The options as argparse would parse an empty command line, without argparse."""
    defaults = _Defaults()
    _add_options(defaults)
    return defaults.namespace()


def _add_options(p) -> None:
    """Every option, on `p`: an argparse parser, or _Defaults."""
    p.add_argument("--datadir", default=_env("DATADIR", str(Path.home() / ".fakenet")), help="data dir (FAKENET_DATADIR)")
    p.add_argument("--name", default=_env("NODE_NAME", socket.gethostname()), help="node name shown in logs and to peers")
    p.add_argument("--network", default=_env("NETWORK", "fakenet"), help="network name; fixes the genesis block")
    p.add_argument("--bind", default=_env("BIND", BIND_DEFAULT), help="address every port listens on")
    p.add_argument("--announce", default=_env("ANNOUNCE"), help="multiaddr peers know us by (default from --bind or --name)")
    p.add_argument("--peer", action="append", default=None, help="peer multiaddr, repeatable (FAKENET_PEERS: comma/space separated)")
    p.add_argument("--swarm-port", type=_port("swarm-port"), default=_env("SWARM_PORT", str(SWARM_PORT)))
    p.add_argument("--rpc-port", type=_port("rpc-port"), default=_env("RPC_PORT", str(RPC_PORT)))
    p.add_argument("--api-port", type=_port("api-port"), default=_env("API_PORT", str(API_PORT)))
    p.add_argument("--ipfs-port", type=_port("ipfs-port"), default=_env("IPFS_PORT", str(IPFS_PORT)))
    p.add_argument("--ceramic-one-port", type=_port("ceramic-one-port"), default=_env("CERAMIC_ONE_PORT", str(CERAMIC_ONE_PORT)),
                   help="ceramic-one's event API (/ceramic) on this port")
    p.add_argument("--rpcuser", default=_env("RPCUSER"), help="RPC user (FAKENET_RPCUSER); none: cookie auth")
    p.add_argument("--rpcpassword", default=_env("RPCPASSWORD"), help="RPC password (FAKENET_RPCPASSWORD)")
    p.add_argument("--automine", type=_seconds("automine"), default=_env("AUTOMINE", "0"), help="mine a block every N seconds (0: off)")
    p.add_argument("--peer-timeout", type=_seconds("peer-timeout", above_zero=True), default=_env("PEER_TIMEOUT", "4.0"),
                   help="seconds of silence after which a peer counts as dead")
    p.add_argument("--stream-cache-limit", type=_count("stream-cache-limit", 1), default=_env("STREAM_CACHE_LIMIT", "500"),
                   help="streams kept in the in-memory cache (FAKENET_STREAM_CACHE_LIMIT)")
    p.add_argument("--stream-cache-bytes", type=_count("stream-cache-bytes", 1), default=_env("STREAM_CACHE_BYTES", str(64 * 1024 * 1024)),
                   help="bytes the in-memory stream cache may hold, its least recently used streams evicted past it; "
                        "a stream counts twice its commits' bytes (FAKENET_STREAM_CACHE_BYTES)")
    p.add_argument("--sync-timeout", type=_seconds("sync-timeout"), default=_env("SYNC_TIMEOUT", "3.0"),
                   help="seconds a load waits for the network (FAKENET_SYNC_TIMEOUT)")
    p.add_argument("--cluster-port", type=_port("cluster-port"), default=_env("CLUSTER_PORT", str(CLUSTER_PORT)),
                   help="cluster REST API port (FAKENET_CLUSTER_PORT)")
    p.add_argument("--cluster-ttl", type=_seconds("cluster-ttl", above_zero=True), default=_env("CLUSTER_TTL", "5.0"),
                   help="seconds without a heartbeat after which a cluster peer is down (FAKENET_CLUSTER_TTL)")
    p.add_argument("--cluster-repin", action=BOOLEAN,
                   default=_env("CLUSTER_REPIN", "1").lower() not in ("0", "false", "no", "off"),
                   help="re-allocate a down peer's cluster pins to live peers (FAKENET_CLUSTER_REPIN=0: off)")
    p.add_argument("--cluster", action=BOOLEAN, default=_truthy("CLUSTER", "1"),
                   help="run the cluster's heartbeats and re-allocation (FAKENET_CLUSTER=0: off; heartbeats are "
                        "flooded, so their cost grows with the square of the network's size)")
    p.add_argument("--cluster-api-auth", action=BOOLEAN, default=_truthy("CLUSTER_API_AUTH", "1"),
                   help="basic auth on the cluster REST API, as on the JSON-RPC (FAKENET_CLUSTER_API_AUTH=0: off, "
                        "for clients that cannot send credentials; ipfs-cluster's own default)")
    p.add_argument("--cluster-api-lists", choices=("stream", "array"), default=_env("CLUSTER_API_LISTS", "stream"),
                   help="cluster REST lists: stream (one JSON object per line, ipfs-cluster 1.x) or array "
                        "(one JSON array, ipfs-cluster 0.x clients) (FAKENET_CLUSTER_API_LISTS)")
    p.add_argument("--cluster-body-limit", type=_count("cluster-body-limit", 1), default=_env("CLUSTER_BODY_LIMIT", str(1024 * 1024)),
                   help="largest request body on the cluster REST API, bytes (FAKENET_CLUSTER_BODY_LIMIT)")
    p.add_argument("--ipfs-body-limit", type=_count("ipfs-body-limit", 1), default=_env("IPFS_BODY_LIMIT", str(1024 * 1024)),
                   help="largest request body on the Kubo-style RPC, bytes (FAKENET_IPFS_BODY_LIMIT)")
    p.add_argument("--ipfs-connect-any", action=BOOLEAN, default=_truthy("IPFS_CONNECT_ANY", "0"),
                   help="let swarm/connect on the Kubo-style RPC dial addresses outside the peerlist "
                        "(FAKENET_IPFS_CONNECT_ANY=1)")
    p.add_argument("--cors-allowed-origins", nargs="*", default=_env("CORS_ALLOWED_ORIGINS", "").split(),
                   metavar="REGEX", help="origins whose web pages may call the stream API on 7007, as regular "
                   "expressions (Ceramic's cors-allowed-origins; FAKENET_CORS_ALLOWED_ORIGINS, space separated); "
                   "default none")
    p.add_argument("--api-body-limit", type=_count("api-body-limit", 1), default=_env("API_BODY_LIMIT", str(1024 * 1024)),
                   help="largest request body the stream API accepts, in bytes (FAKENET_API_BODY_LIMIT)")
    p.add_argument("--cluster-secret", default=_env("CLUSTER_SECRET"),
                   help="shared secret of the cluster's members (FAKENET_CLUSTER_SECRET; prefer the variable: "
                        "arguments show in ps). Default: derived from swarm.key, else from the network name")
    p.add_argument("--interest-limit", type=_count("interest-limit"), default=_env("INTEREST_LIMIT", "1000"),
                   help="most ceramic-one interests (POST /ceramic/interests) the node holds; a new one past it "
                        "gets a 400. Each costs every round a frame to every peer (FAKENET_INTEREST_LIMIT)")
    p.add_argument("--store", choices=STORES, default=_env("STORE", DISK),
                   help="where the node's SQLite stores (chain, pins, event feed, model index) live: disk (durable) or memory (read at start, "
                        "written back at stop; for many nodes in one process, the sim backend) (FAKENET_STORE)")
    p.add_argument("--debug", action="store_true", default=_env("DEBUG", "") not in ("", "0"))


def _default_announce(bind: str, name: str, port: int) -> str:
    if bind in ("0.0.0.0", "::", ""):
        return f"/dns4/{name}/tcp/{port}"
    return f"/{'ip6' if ':' in bind else 'ip4'}/{bind}/tcp/{port}"


def from_args(argv: list[str] | None = None) -> Settings:
    """The settings of a command line (sys.argv's when None) and the environment."""
    argv = sys.argv[1:] if argv is None else argv
    return from_options(parser().parse_args(argv) if argv else _defaults())


def from_options(args) -> Settings:
    """The settings of parsed options (a parser's namespace, or _defaults())."""
    peers = multiaddr.parse_list(" ".join(args.peer) if args.peer is not None else _env("PEERS", ""))
    announce = args.announce or _default_announce(args.bind, args.name, args.swarm_port)
    return Settings(
        datadir=Path(args.datadir), name=args.name, network=args.network, bind=args.bind,
        announce=multiaddr.parse(announce).dial_addr, peers=tuple(peers), swarm_port=args.swarm_port,
        rpc_port=args.rpc_port, api_port=args.api_port, ipfs_port=args.ipfs_port,
        ceramic_one_port=args.ceramic_one_port, rpcuser=args.rpcuser,
        rpcpassword=args.rpcpassword, automine=args.automine, peer_timeout=args.peer_timeout, debug=args.debug,
        stream_cache_limit=args.stream_cache_limit, stream_cache_bytes=args.stream_cache_bytes, sync_timeout=args.sync_timeout,
        cluster_port=args.cluster_port, cluster_ttl=args.cluster_ttl, cluster_repin=args.cluster_repin,
        cluster=args.cluster,
        cluster_api_auth=args.cluster_api_auth, cluster_api_lists=args.cluster_api_lists,
        cluster_body_limit=args.cluster_body_limit, ipfs_body_limit=args.ipfs_body_limit,
        ipfs_connect_any=args.ipfs_connect_any,
        cors_allowed_origins=tuple(args.cors_allowed_origins), api_body_limit=args.api_body_limit,
        # A secret: read from the environment only, never from a command line others can list.
        api_admin_token=_env("API_ADMIN_TOKEN") or None,
        cluster_secret=args.cluster_secret, store=args.store, interest_limit=args.interest_limit,
    )
