"""The JSON that the cluster RPCs and the REST API answer with, shaped like ipfs-cluster's.

    pin_json     ipfs-cluster's Pin (an item of the shared pinset, with its current allocations)
    status_json  ipfs-cluster's GlobalPinInfo (`peer_map`: every known peer's status of one item)
    id_json      ipfs-cluster's ID (this peer); peer_json the same for any peer heard from

Stream ids stand where ipfs-cluster has CIDs (`cid`). Each peer's status comes from its own
latest heartbeat (so it is at most one heartbeat interval old); this node's own is computed
on the spot. A peer silent for longer than the TTL is `cluster_error`, as ipfs-cluster reports
peers it cannot reach.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fakenet.node import clock
from fakenet.node.version import __version__
from fakenet.node.cluster.report import CLUSTER_ERROR, UNPINNED, Report

RPC_PROTOCOL = "/fakenet/cluster/1.0"


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, timezone.utc).isoformat().replace("+00:00", "Z")


def _addresses(announce: str, peer_id: str) -> list[str]:
    return [f"{announce}/p2p/{peer_id}"]


def pin_json(cluster, entry) -> dict:
    allocations = cluster.allocation(entry)
    return {"cid": entry.stream_id, "name": entry.name, "allocations": allocations,
            "peernames": [cluster.peer_name(peer) for peer in allocations], "origins": [], "metadata": {},
            "replication_factor_min": entry.rmin, "replication_factor_max": entry.rmax, "mode": "recursive",
            "max_depth": -1, "timestamp": iso(entry.added_at), "clock": entry.clock, "writer": entry.origin}


def _silence_error(cluster, peer_id: str) -> str:
    return f"no heartbeat for {cluster.detector.silence(peer_id):.1f}s (ttl {cluster.settings.ttl:g}s)"


def _own_status(own: Report, entry) -> tuple[str, str, float]:
    if entry is None:
        return UNPINNED, "", clock.wall()
    return own.status_of(entry.stream_id), own.errors.get(entry.stream_id, ""), clock.wall()


def _peer_status(cluster, peer_id: str, entry) -> tuple[str, str, float]:
    """(status, error, unix timestamp) of one item on another peer, from its latest heartbeat."""
    beat = cluster.detector.last(peer_id)
    if not cluster.detector.is_live(peer_id):
        return CLUSTER_ERROR, _silence_error(cluster, peer_id), beat.sent_at
    if entry is None:
        return UNPINNED, "", beat.sent_at
    return beat.report.status_of(entry.stream_id), beat.report.errors.get(entry.stream_id, ""), beat.sent_at


def status_json(cluster, stream_id: str, own: Report | None = None) -> dict:
    """`own`: this node's report, when the caller asks for many items and computed it once."""
    entry = cluster.pinset.get(stream_id)
    own = own or cluster.report()
    peer_map = {}
    for peer_id in [cluster.peer_id, *cluster.detector.known()]:
        status, error, at = _own_status(own, entry) if peer_id == cluster.peer_id else \
            _peer_status(cluster, peer_id, entry)
        peer_map[peer_id] = {"peername": cluster.peer_name(peer_id), "ipfs_peer_id": peer_id,
                             "ipfs_peer_addresses": [], "status": status, "timestamp": iso(at), "error": error,
                             "attempt_count": 0, "priority_pin": False}
    return {"cid": stream_id, "name": entry.name if entry else "",
            "allocations": cluster.allocation(entry) if entry else [], "origins": [],
            "created": iso(entry.added_at) if entry else None, "metadata": None, "peer_map": peer_map}


def statuses_json(cluster) -> list[dict]:
    own = cluster.report()
    return [status_json(cluster, entry.stream_id, own) for entry in cluster.pinset.items()]


def id_json(cluster) -> dict:
    addresses = _addresses(cluster.announce, cluster.peer_id)
    return {"id": cluster.peer_id, "peername": cluster.name, "addresses": addresses,
            "cluster_peers": cluster.live_peers(), "cluster_peers_addresses": [], "version": __version__,
            "commit": "", "rpc_protocol_version": RPC_PROTOCOL, "error": "",
            "ipfs": {"id": cluster.peer_id, "addresses": addresses, "error": ""},
            "ttl": cluster.settings.ttl, "repin": cluster.settings.repin, "warming_up": cluster.warming_up()}


def peer_json(cluster, peer_id: str) -> dict:
    if peer_id == cluster.peer_id:
        return {**id_json(cluster), "live": True, "last_heartbeat_s": 0.0}
    beat = cluster.detector.last(peer_id)
    live = cluster.detector.is_live(peer_id)
    addresses = _addresses(beat.announce, peer_id)
    return {"id": peer_id, "peername": beat.name, "addresses": addresses, "cluster_peers": [],
            "cluster_peers_addresses": [], "version": "", "commit": "", "rpc_protocol_version": RPC_PROTOCOL,
            "error": "" if live else _silence_error(cluster, peer_id),
            "ipfs": {"id": peer_id, "addresses": addresses, "error": ""},
            "live": live, "last_heartbeat_s": round(cluster.detector.silence(peer_id), 3)}


def peers_json(cluster) -> list[dict]:
    return [peer_json(cluster, peer_id) for peer_id in [cluster.peer_id, *cluster.detector.known()]]


def graph_json(cluster) -> dict:
    """ipfs-cluster's ConnectGraph, as far as this node can see it: its own swarm links, and each
    live peer's link back to it when they are directly connected (heartbeats carry no link lists)."""
    own = sorted(cluster.swarm.connections)
    live = set(cluster.live_peers())
    links = {cluster.peer_id: own, **{peer: [cluster.peer_id] for peer in own}}
    peers = [cluster.peer_id, *cluster.detector.known()]
    return {"cluster_id": cluster.peer_id, "id_to_peername": {peer: cluster.peer_name(peer) for peer in peers},
            "ipfs_links": links, "cluster_links": {p: [q for q in ps if q in live] for p, ps in links.items()},
            "cluster_trust_links": {peer: True for peer in peers},
            "cluster_to_ipfs": {peer: peer for peer in peers}}  # one identity serves both roles here
