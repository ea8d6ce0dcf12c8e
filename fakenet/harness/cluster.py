"""The oracle for replicated pinning: which nodes should hold each cluster pin, and checks.

Allocation is rendezvous hashing over the live peers' PeerIDs (the protocol's own definition,
`fakenet.node.cluster.allocation.allocate`, a pure function): the harness feeds it the live set
its model predicts — each component of the expected graph allocates among its own members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from fakenet.harness import observe
from fakenet.harness.waits import wait_for
from fakenet.node.cluster.allocation import allocate

if TYPE_CHECKING:
    from fakenet.harness.network import Network


def expected_pins(net: Network) -> dict[str, set[str]]:
    """node -> the cluster streams it should pin now."""
    wanted: dict[str, set[str]] = {name: set() for name in net.up()}
    by_peer_id = {net.model.identity[name]: name for name in net.names}
    for component in nx.connected_components(net.expected_graph()):
        peer_ids = [net.model.identity[name] for name in component]
        for stream, (rmin, rmax) in net.model.cluster.items():
            for peer_id in allocate(stream, peer_ids, rmin, rmax):
                wanted[by_peer_id[peer_id]].add(stream)
    return wanted


def observed_pins(net: Network) -> dict[str, set[str]]:
    held = observe.holdings(net.runtimes, net.up())
    return {name: pins & set(net.model.cluster) for name, (pins, _cache) in held.items()}


def _diff(wanted, seen) -> str:
    parts = []
    for name in sorted(wanted):
        missing, extra = wanted[name] - seen.get(name, set()), seen.get(name, set()) - wanted[name]
        if missing or extra:
            parts.append(f"{name}: missing {len(missing)}, extra {len(extra)}")
    return "; ".join(parts) or "none"


def expect_allocations(net: Network, timeout: float) -> float:
    """Wait until every up node pins exactly the cluster streams allocated to it; record them."""
    wanted = expected_pins(net)
    _, took = wait_for(lambda: observed_pins(net), lambda seen: _diff(wanted, seen) == "none", timeout=timeout,
                       expected=f"cluster pins as allocated: {({n: len(s) for n, s in wanted.items()})}",
                       logs=lambda: [f"difference: {_diff(wanted, observed_pins(net))}"] + net.logs(6),
                       hint="a peer counts as down only after the cluster TTL; allocation waits for that")
    for name, streams in wanted.items():
        for stream in streams:
            if stream not in net.model.pins[name]:
                net.model.used(name, stream)  # the node loaded it to pin it: it is in its cache too
        net.model.pins[name] = (net.model.pins[name] - set(net.model.cluster)) | streams
    net._record("expect", f"cluster allocations ({sum(map(len, wanted.values()))} pins)", took)
    return took


def expect_replicated(net: Network, streams: list[str], minimum: int) -> None:
    """Right now, each stream is pinned on at least min(minimum, its component's size) up nodes."""
    seen = observed_pins(net)
    short = []
    for stream in streams:
        holders = {name for name, pins in seen.items() if stream in pins}
        component = max((c for c in nx.connected_components(net.expected_graph())), key=len)
        if len(holders) < min(minimum, len(component)):
            short.append(f"{stream[:14]}… on {sorted(holders)}")
    if short:
        raise AssertionError(f"fewer than {minimum} live holders: " + "; ".join(short))
