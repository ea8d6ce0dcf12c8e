"""The fakenet node as a kind: every fakenet-specific port, variable, file and RPC the harness uses.

Peers are keyed by PeerID (`getpeerinfo()[…]["peerid"]`), links are steered by the node's own
admin filter (`setlinkfilter`, by PeerID), and settings reach the node as FAKENET_* variables.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Mapping

from fakenet.errors import ConfigError, RpcError
from fakenet.kinds.base import (CHAIN, CLUSTER, IDENTITY, STREAMS, Launch, NodeClient, NodeKind, Preloaded, Summary,
                                Tip)
from fakenet.kinds.fakenet_settings import CACHE_BYTES, SCHEMA, SETTINGS, SWARM_PORT, swarm_address

if TYPE_CHECKING:  # requests: not before compose runs in `./fake up` (kinds/base.py)
    from fakenet.harness.rpc import RpcClient

# A regtest address of the node's own chain; mined coins go nowhere anyone cares about.
MINE_TO = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
STREAM_UNAVAILABLE = -33  # the node's RPC error when no reachable peer holds a stream


class FakenetClient(NodeClient):
    """Typed calls for what the harness asks a fakenet node."""

    def ready(self) -> bool:
        """Answering RPC with its swarm listening: a node answers RPC a moment before it has built
        its stream layer and listens (daemon.py), and what the harness does next needs the swarm."""
        return self.rpc.getnetworkinfo()["networkactive"] is True

    def identity(self) -> str:
        return self.rpc.getnetworkinfo()["peerid"]

    def peer_identities(self) -> set[str]:
        return set(self.rpc.getpeerids())

    def trusted_identities(self) -> set[str]:
        return set(self.rpc.listpeeridentities()["trusted"].values())

    def accept_identity(self, old: str, new: str) -> None:
        """`acceptpeeridentity` at every address where this node trusts `old` (README, Identity)."""
        for address, peer in self.rpc.listpeeridentities()["trusted"].items():
            if peer == old:
                self.rpc.acceptpeeridentity(address, new)

    def summary(self) -> Summary:
        network, height = self.rpc.batch([("getnetworkinfo", []), ("getblockcount", [])])
        return Summary(network["peerid"], height, network["connections"])

    def summary_with(self, peers: int, wait: float) -> Summary:
        # one request, answered in order: held until the node has the peers, then what it says then
        _, network, height = self.rpc.batch([("waitforconnections", [peers, wait]), ("getnetworkinfo", []),
                                             ("getblockcount", [])])
        return Summary(network["peerid"], height, network["connections"])

    def set_links(self, blocked, loss, delay, seed) -> str:
        self.rpc.setlinkfilter(sorted(blocked), dict(loss), dict(delay), seed)
        return "node link filter (cuts, loss and delay in the node's transport)"

    # chain
    def tip(self) -> Tip:
        info = self.rpc.getblockchaininfo()
        return Tip(info["bestblockhash"], info["blocks"], int(info["chainwork"], 16))

    def mine(self, blocks: int) -> list[str]:
        return self.rpc.generatetoaddress(blocks, MINE_TO)

    def chain_tips(self) -> list[dict]:
        return self.rpc.getchaintips()

    # streams
    def create_stream(self, content, pin: bool) -> str:
        return self.rpc.createstream(content, pin)["streamId"]

    def load_stream(self, stream_id: str, within: float | None = None) -> dict:
        return self.rpc.call("loadstream", stream_id, timeout=self._waiting(within))

    def try_load(self, stream_id: str, within: float | None = None) -> bool:
        """True if the load succeeds, False on the node's unavailable error; other errors raise."""
        try:
            self.rpc.call("loadstream", stream_id, timeout=self._waiting(within))
        except RpcError as exc:
            if exc.code != STREAM_UNAVAILABLE:
                raise
            return False
        return True

    def update_stream(self, stream_id: str, content, within: float | None = None) -> dict:
        return self.rpc.call("updatestream", stream_id, content, timeout=self._waiting(within))

    def pin_stream(self, stream_id: str, within: float | None = None) -> None:
        self.rpc.call("pinstream", stream_id, timeout=self._waiting(within))

    def _waiting(self, within: float | None) -> float | None:
        """The RPC timeout for a call that may load: the client's own, or longer where the node's
        settings let a load take longer (never shorter: a loaded machine is slow for other reasons)."""
        return None if within is None else max(self.rpc.timeout, within)

    def unpin_stream(self, stream_id: str) -> None:
        self.rpc.unpinstream(stream_id)

    def evict(self, count: int | None, ids: list[str] | None) -> None:
        self.rpc.evictstreams(count, ids)

    def pins(self) -> set[str]:
        return set(self.rpc.listpins())

    def cache_order(self) -> list[str]:
        return list(self.rpc.getcacheinfo()["lru"])

    # cluster
    def cluster_pin(self, stream_id: str, rmin: int, rmax: int) -> None:
        self.rpc.clusterpinadd(stream_id, rmin, rmax)

    def live_cluster_peers(self) -> int:
        return sum(peer["live"] for peer in self.rpc.clusterpeers())


class FakenetKind(NodeKind):
    name = "fakenet"
    capabilities = frozenset({CHAIN, STREAMS, CLUSTER, IDENTITY})
    ports = {"swarm": SWARM_PORT, "ipfs": 5011, "rpc": 6433, "api": 7007, "ceramic_one": 5101, "cluster": 9094}
    published = ("rpc", "api", "ceramic_one", "ipfs", "cluster")
    authenticated = ("rpc", "cluster")  # basic auth; 7007, 5101 and 5011 take no credentials
    datadir = "/data"
    identity_file = "config"
    link_control = True
    status_command = ("cli", "-getinfo")  # in the container; prints JSON with peerid, blocks, connections.total
    # fakenet/node/code_gone.py's EXIT_CODE: its code's files were removed under it (a host copy
    # deleted by hand); a test checks the two numbers agree, since the harness does not import the node.
    outside_exits = {74: "because its code's files were removed under it (its log's code_gone line names the folder)"}
    # Test networks want quick verdicts: a load gives up on a neighbour silent for 4 s (an unavailable
    # stream is reported as soon as the whole component has answered), a silent peer is dead after 3 s.
    test_settings = {"sync_timeout": 4.0, "peer_timeout": 3.0}
    settings_schema = SCHEMA
    default_cache_bytes = CACHE_BYTES

    def image(self, progress, client) -> str:
        from fakenet.image import ensure_image

        return ensure_image(progress=progress, client=client)

    def present_image(self, reads) -> str | None:
        from fakenet.image import present_tag

        return present_tag(reads)

    def environment(self, launch: Launch) -> dict[str, str]:
        self.check_settings(launch.settings)
        return {"FAKENET_BIND": launch.bind, "FAKENET_NODE_NAME": launch.name, "FAKENET_DATADIR": launch.datadir,
                "FAKENET_PEERS": " ".join(swarm_address(host) for _, host in launch.peers),
                "FAKENET_RPCUSER": launch.credentials[0], "FAKENET_RPCPASSWORD": launch.credentials[1],
                # Only this network's nodes can write its cluster pinset (a peer of another run cannot).
                **({"FAKENET_CLUSTER_SECRET": launch.secret} if launch.secret else {}),
                # What inbound peers are checked against: the address the others dial (trust is per address).
                **({"FAKENET_ANNOUNCE": swarm_address(launch.address)} if launch.address else {}),
                **{f"FAKENET_{SETTINGS[key]}": _text(value) for key, value in launch.settings.items()}}

    def credentials(self, environment: Mapping[str, str]) -> tuple[str, str] | None:
        user, password = environment.get("FAKENET_RPCUSER"), environment.get("FAKENET_RPCPASSWORD")
        return (user, password) if user and password else None

    def local_command(self, launch: Launch) -> list[str]:
        return [sys.executable, "-m", "fakenet.node"]  # as fakenet-node starts; everything else is in the environment

    def local_preloaded(self, launch: Launch) -> Preloaded:
        return Preloaded("fakenet.node.daemon:preload", "fakenet.node.daemon:main")

    def client(self, rpc: RpcClient) -> FakenetClient:
        return FakenetClient(rpc)

    def in_process_node(self, launch: Launch, transport):
        """fakenet/node's own Node objects (fakenet_in_process); the node code loads only for sim."""
        from fakenet.kinds.fakenet_in_process import FakenetInProcess

        return FakenetInProcess(launch, transport)



def _text(value) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)
