"""Which state a load must return: the newest any holder reachable from the loading node has.

The harness knows what each node holds of a stream from its own actions (the version it wrote
or last loaded there, what gossip could reach), never from the node it checks. A version is the
number of signed writes in the stream's history: a later write extends an earlier one, so on
one history the higher number is newer; writes made apart (a partition) are forks of equal or
different lengths, and the node's conflict rules then keep the longer (with no anchors in play,
as here; equal lengths are a tie the prediction leaves open).

A write reaches the other holders by gossip, some link delays later. A fault that takes the
writer or a link away within SETTLE seconds of a write may drop that gossip in flight (a node that
restarts loses the frames its link filter still delays), so such a write is only *possibly* at the
other holders: each keeps what it held before as the oldest state it may still have (its doubt),
until its next load says which. A prediction then accepts any state from the newest that every
doubt allows up to the newest written.

Pure: no network, no node code. `Versions` follows what the harness does (writes, loads) and
predicts; `expect_latest` in fakenet.scenario.steps observes and compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dataclasses import dataclass, field

import networkx as nx


@dataclass(frozen=True)
class Version:
    """One state of a stream: `writes` signed commits after its genesis, and the content it shows."""

    writes: int
    content: object = field(default=None, hash=False)  # often a dict: compared, not hashed


def reachable_holders(graph: nx.Graph, node: str, holders: Iterable[str]) -> set[str]:
    """Holders in `node`'s component of the expected graph (the node itself included)."""
    if node not in graph:
        return set()
    component = nx.node_connected_component(graph, node)
    return {holder for holder in holders if holder in component}


SETTLE = 10.0  # harness seconds within which a write's gossip may still be in flight (link delays, lag)


def latest(graph: nx.Graph, node: str, held: Mapping[str, Version],
           doubt: Mapping[str, Version] | None = None) -> set[Version]:
    """The versions a load at `node` may return: the newest among reachable holders (several only
    on a tie of forks), or, where a holder's copy is in doubt (`doubt`: the oldest it may still
    hold), any of theirs at least as new as the newest that is certain; empty when no holder is
    reachable (the load fails)."""
    doubt = doubt or {}
    holders = reachable_holders(graph, node, held)
    if not holders:
        return set()
    floor = max(min(held[h].writes, doubt[h].writes if h in doubt else held[h].writes) for h in holders)
    if node in doubt and node in holders:  # its own copy may have missed the gossip, and a fresh copy
        floor = min(floor, doubt[node].writes)  # answers without asking (fakenet.node.stream_service)
    candidates = [held[h] for h in holders] + [doubt[h] for h in holders if h in doubt]
    return {version for version in candidates if version.writes >= max(floor, 0)}


class Versions:
    """What each node holds of each stream, as the harness's own actions imply. Who still holds
    it (evictions, restarts) is the network model's to say: predictions take `holders` from it."""

    def __init__(self):
        self._held: dict[str, dict[str, Version]] = {}
        self._doubt: dict[str, dict[str, Version]] = {}  # stream -> holder -> the oldest it may still hold
        self._recent: list[tuple[float, str, dict[str, Version | None]]] = []  # (when, stream, {holder: before})

    def __contains__(self, stream: str) -> bool:
        return stream in self._held

    def predict(self, graph: nx.Graph, node: str, stream: str, holders: Iterable[str]) -> set[Version]:
        held, doubt = self._held.get(stream, {}), self._doubt.get(stream, {})
        return latest(graph, node, {holder: held[holder] for holder in holders if holder in held},
                      {holder: doubt[holder] for holder in holders if holder in doubt})

    def created(self, node: str, stream: str, content: object) -> None:
        self._held.setdefault(stream, {})[node] = Version(0, content)

    def loaded(self, graph: nx.Graph, node: str, stream: str, holders: Iterable[str],
               observed: int | None = None) -> None:
        """A load made `node` hold what it returned: the predicted version with `observed` writes if
        the caller saw them, else one of the predicted (if the prediction is open)."""
        predicted = self.predict(graph, node, stream, holders)
        if predicted:
            seen = [version for version in predicted if version.writes == observed]
            self._held[stream][node] = min(seen or predicted, key=repr)
            self._doubt.get(stream, {}).pop(node, None)

    def wrote(self, graph: nx.Graph, node: str, stream: str, holders: Iterable[str], content: object,
              now: float = 0.0) -> None:
        """A write through `node` extends what its load returned; gossip carries it to every holder
        in the component, which keeps it unless it holds a longer history."""
        base = self.predict(graph, node, stream, holders)
        written = Version(max((v.writes for v in base), default=0) + 1, content)
        held, before = self._held.setdefault(stream, {}), {}
        for holder in reachable_holders(graph, node, [*holders, node]):
            if holder not in held or held[holder].writes <= written.writes:
                if holder != node:
                    before[holder] = held.get(holder)
                held[holder] = written
        self._recent.append((now, stream, before))

    def disturbed(self, now: float) -> None:
        """A node or link went away: writes of the last SETTLE seconds may not have reached every
        holder they were credited to, which may still hold what it held before (or nothing)."""
        self._recent = [(when, stream, before) for when, stream, before in self._recent if now - when < SETTLE]
        for _when, stream, before in self._recent:
            for holder, version in before.items():
                doubts = self._doubt.setdefault(stream, {})
                oldest = version or Version(-1)  # held nothing: any state it loads later counts
                if holder not in doubts or oldest.writes < doubts[holder].writes:
                    doubts[holder] = oldest
