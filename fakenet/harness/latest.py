"""Which state a load must return: the newest any holder reachable from the loading node has.

The harness knows what each node holds of a stream from its own actions (the version it wrote
or last loaded there, what gossip could reach), never from the node it checks. A version is the
number of signed writes in the stream's history: a later write extends an earlier one, so on
one history the higher number is newer; writes made apart (a partition) are forks of equal or
different lengths, and the node's conflict rules then keep the longer (with no anchors in play,
as here; equal lengths are a tie the prediction leaves open).

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


def latest(graph: nx.Graph, node: str, held: Mapping[str, Version]) -> set[Version]:
    """The versions a load at `node` may return: the newest among reachable holders (several only
    on a tie of forks); empty when no holder is reachable (the load fails)."""
    reachable = [held[holder] for holder in reachable_holders(graph, node, held)]
    if not reachable:
        return set()
    newest = max(version.writes for version in reachable)
    return {version for version in reachable if version.writes == newest}


class Versions:
    """What each node holds of each stream, as the harness's own actions imply. Who still holds
    it (evictions, restarts) is the network model's to say: predictions take `holders` from it."""

    def __init__(self):
        self._held: dict[str, dict[str, Version]] = {}

    def __contains__(self, stream: str) -> bool:
        return stream in self._held

    def predict(self, graph: nx.Graph, node: str, stream: str, holders: Iterable[str]) -> set[Version]:
        held = self._held.get(stream, {})
        return latest(graph, node, {holder: held[holder] for holder in holders if holder in held})

    def created(self, node: str, stream: str, content: object) -> None:
        self._held.setdefault(stream, {})[node] = Version(0, content)

    def loaded(self, graph: nx.Graph, node: str, stream: str, holders: Iterable[str]) -> None:
        """A load made `node` hold what it returned (one of the predicted, if the prediction is open)."""
        predicted = self.predict(graph, node, stream, holders)
        if predicted:
            self._held[stream][node] = min(predicted, key=repr)

    def wrote(self, graph: nx.Graph, node: str, stream: str, holders: Iterable[str], content: object) -> None:
        """A write through `node` extends what its load returned; gossip carries it to every holder
        in the component, which keeps it unless it holds a longer history."""
        base = self.predict(graph, node, stream, holders)
        written = Version(max((v.writes for v in base), default=0) + 1, content)
        held = self._held.setdefault(stream, {})
        for holder in reachable_holders(graph, node, [*holders, node]):
            if holder not in held or held[holder].writes <= written.writes:
                held[holder] = written
