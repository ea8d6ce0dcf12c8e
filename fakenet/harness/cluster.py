"""Replicated pinning: `net.cluster` (kinds with the cluster capability) adds to the shared pinset,
and the oracle's part: which nodes should hold each cluster pin, and the checks.

Allocation is rendezvous hashing over the live peers' PeerIDs, as README documents it: each
peer's weight for a stream is sha256("<stream id>/<PeerID>") read big-endian, the `rmax`
heaviest peers hold it (every peer for -1). The harness computes this itself from that rule —
never with the node's code, so a bug there cannot be predicted and observed alike — over the
live set its model predicts: each component of the expected graph allocates among its members.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import networkx as nx

from fakenet.errors import ExpectationFailed, WaitTimeout
from fakenet.harness import observe
from fakenet.harness.short_ids import cut
from fakenet.harness.waits import wait_for

if TYPE_CHECKING:
    from fakenet.harness.fleet import Fleet


def ranked(stream_id: str, peer_ids) -> list[str]:
    """Peers by weight, heaviest first; equal 32-byte digests compare as their big-endian numbers do."""
    weight = {peer: hashlib.sha256(f"{stream_id}/{peer}".encode()).digest() for peer in set(peer_ids)}
    return sorted(weight, key=lambda peer: (bytes(255 - b for b in weight[peer]), peer))


def allocation(stream_id: str, peer_ids, rmax: int) -> list[str]:
    order = ranked(stream_id, peer_ids)
    return order if rmax == -1 else order[:rmax]


def expected_pins(net: Fleet) -> dict[str, set[str]]:
    """node -> the cluster streams it should pin now."""
    wanted: dict[str, set[str]] = {name: set() for name in net.up()}
    by_peer_id = {net.model.identity[name]: name for name in net.names}
    for component in nx.connected_components(net.model.expected_graph()):
        peer_ids = [net.model.identity[name] for name in component]
        for stream, (rmin, rmax) in net.model.cluster.items():
            for peer_id in allocation(stream, peer_ids, rmax):
                wanted[by_peer_id[peer_id]].add(stream)
    return wanted


def observed_pins(net: Fleet) -> dict[str, set[str]]:
    held = observe.holdings(net.runtimes, net.up())
    return {name: pins & set(net.model.cluster) for name, (pins, _cache) in held.items()}


def _diff(wanted, seen) -> str:
    parts = []
    for name in sorted(wanted):
        missing, extra = wanted[name] - seen.get(name, set()), seen.get(name, set()) - wanted[name]
        if missing or extra:
            parts.append(f"{name}: missing {len(missing)}, extra {len(extra)}")
    return "; ".join(parts) or "none"


def expect_allocations(net: Fleet, timeout: float) -> float:
    """Wait until every up node pins exactly the cluster streams allocated to it; record them."""
    wanted = expected_pins(net)
    try:
        _, took = wait_for(lambda: observed_pins(net), lambda seen: _diff(wanted, seen) == "none", timeout=timeout,
                           expected=f"cluster pins as allocated: {({n: len(s) for n, s in wanted.items()})}",
                           logs=lambda: [f"difference: {_diff(wanted, observed_pins(net))}"] + net.logs(6),
                           hint="a peer counts as down only after the cluster TTL; allocation waits for that", gone=net.gone)
    except WaitTimeout as exc:
        seen = observed_pins(net)
        raise ExpectationFailed(f"cluster pins differ from the allocation: {_diff(wanted, seen)}\n{exc}",
                                expected=wanted, observed=seen, difference=_diff(wanted, seen)) from exc
    net.model.cluster_allocated(wanted)
    net.model.check_bytes()
    net.timeline.record("expect", f"cluster allocations ({sum(map(len, wanted.values()))} pins)", took)
    return took


def expect_replicated(net: Fleet, streams: list[str], minimum: int) -> None:
    """Right now, each stream is pinned on at least min(minimum, its component's size) up nodes."""
    seen = observed_pins(net)
    short = []
    for stream in streams:
        holders = {name for name, pins in seen.items() if stream in pins}
        component = max((c for c in nx.connected_components(net.model.expected_graph())), key=len)
        if len(holders) < min(minimum, len(component)):
            short.append(f"{cut(stream, net.stream_ids)} on {sorted(holders)}")
    if short:
        raise ExpectationFailed(f"fewer than {minimum} live holders: " + "; ".join(short))


class Cluster:
    """`net.cluster`: the shared pinset, written through one node and recorded in the model."""

    def __init__(self, fleet: Fleet):
        self._fleet = fleet

    def pin(self, name: str, stream_id: str, rmin: int, rmax: int) -> None:
        """Add a stream to the pinset through one node, once that node's failure detector sees every
        peer of its component (a fresh node has heard no heartbeat yet)."""
        self._fleet.requires("cluster")
        client, component = self._fleet.runtime(name).client, self._fleet.model.component(name)
        wait_for(client.live_cluster_peers, lambda live: live >= len(component),
                 timeout=30, expected=f"{name} sees {len(component)} live cluster peers",
                 logs=lambda: self._fleet.logs(5), gone=self._fleet.gone)
        client.cluster_pin(stream_id, rmin, rmax)
        self._fleet.model.cluster_added(stream_id, rmin, rmax)

    def expected_pins(self) -> dict[str, set[str]]:
        """node -> the cluster streams the allocation rule gives it now."""
        return expected_pins(self._fleet)
