"""What this node must pin and unpin for the cluster, decided from one snapshot (pure, no I/O).

Pin: every item allocated here that is not pinned here and not already being pinned (or
waiting out a failed attempt). Unpin: every item this node pinned for the cluster that has
left the pinset, and every one no longer allocated here once enough of its new holders say
they hold it: at least rmin of the allocated peers (all of them when fewer exist) report it
`pinned` in their heartbeats. Releasing only then keeps the item at rmin live holders while
it moves, e.g. back to a peer that returned after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fakenet.node.cluster.allocation import EVERYWHERE
from fakenet.node.cluster.pinset import PinEntry
from fakenet.node.cluster.report import PINNED, Report


@dataclass(frozen=True)
class View:
    me: str
    items: list[PinEntry]
    allocations: dict[str, list[str]]  # stream id -> the peers that should hold it
    pinned: set[str]  # stream ids in this node's pin store
    busy: set[str]  # stream ids being pinned here, or failed and waiting for a retry
    owned: set[str]  # stream ids this node pinned because the cluster told it to
    reports: dict[str, Report] = field(default_factory=dict)  # live peer -> its latest report


@dataclass(frozen=True)
class Plan:
    pin: list[str]
    unpin: list[str]


def plan(view: View) -> Plan:
    active = {item.stream_id: item for item in view.items}
    pin = [s for s, item in active.items() if _should_pin(view, s)]
    unpin = [s for s in sorted(view.owned - view.busy) if s not in active or _released(view, active[s])]
    return Plan(pin, unpin)


def _should_pin(view: View, stream_id: str) -> bool:
    return view.me in view.allocations[stream_id] and stream_id not in view.pinned | view.busy


def _released(view: View, item: PinEntry) -> bool:
    if view.me in view.allocations[item.stream_id]:
        return False
    # Not pinned any more (an operator unpinned it): only the ownership record is left to drop.
    return item.stream_id not in view.pinned or _handed_over(view, item)


def _handed_over(view: View, item: PinEntry) -> bool:
    holders = [peer for peer in view.allocations[item.stream_id] if peer != view.me]
    confirmed = sum(1 for peer in holders if peer in view.reports and
                    view.reports[peer].status_of(item.stream_id) == PINNED)
    need = len(holders) if item.rmin == EVERYWHERE else min(item.rmin, len(holders))
    return confirmed >= need
