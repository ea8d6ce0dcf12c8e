"""The oracle's rule for interest sync (issue 26): which node is expected to hold which event.

An event of Model M is expected on node v when v is interested in M and v is connected to a
holder of the event by a path of nodes all interested in M, in the expected graph (nodes up,
links not cut, identities trusted; model.py). Recon runs only between peers sharing the
interest, so a node without it neither holds nor relays the events. Holders only grow: the
node an event was posted to holds it, and every expected node holds it once a check saw it
there, so an event that crossed before a partition is still where it went (events are kept on
disk through crashes, restarts and identity loss). The bound within which an expected node holds
an event is SYNC_BOUND (README, "Interest sync"). An event a node refused (it broke its Model's
schema) is in no node's feed, ever.

Pure: nothing here asks a node or imports node code; `expect_synced` compares the prediction
with what each node's /ceramic/feed/events lists.
"""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from typing import Callable

import networkx as nx

from fakenet.errors import ExpectationFailed, ModelRefused, WaitTimeout
from fakenet.harness.waits import wait_for

SYNC_BOUND = 30.0  # seconds


class InterestModel:
    def __init__(self):
        self.interested: dict[str, set[str]] = defaultdict(set)  # model -> nodes interested in it
        self.model_of: dict[str, str] = {}  # event CID -> its model
        self.holders: dict[str, set[str]] = defaultdict(set)  # event CID -> nodes that hold it
        self.refused: set[str] = set()  # event CIDs a node answered 400: in no feed, ever

    def register(self, node: str, model: str) -> None:
        self.interested[model].add(node)

    def posted(self, node: str, model: str, cids: list[str]) -> None:
        for cid in cids:
            self.model_of[cid] = model
            self.holders[cid].add(node)

    def refused_write(self, cid: str) -> None:
        self.refused.add(cid)

    def expected(self, graph: nx.Graph) -> dict[str, set[str]]:
        """Up node -> the events it must hold now; the holders grow to match (a down node's
        events are still its own, expected again once it is back)."""
        for cid, model in self.model_of.items():
            self.holders[cid] |= self._reach(graph, model, self.holders[cid])
        found = defaultdict(set)
        for cid, nodes in self.holders.items():
            for node in nodes & self.interested[self.model_of[cid]] & set(graph):
                found[node].add(cid)
        return found

    def _reach(self, graph: nx.Graph, model: str, holders: set[str]) -> set[str]:
        interested = graph.subgraph(self.interested[model] & set(graph))
        return {node for holder in holders & set(interested) for node in nx.node_connected_component(interested, holder)}

    def forbidden(self, nodes: list[str]) -> dict[str, set[str]]:
        """node -> the events it must never hold: those of models it has no interest in (and was
        not written to), and those refused."""
        return {node: {cid for cid, model in self.model_of.items()
                       if node not in self.interested[model] and node not in self.holders[cid]} | self.refused
                for node in nodes}


def feed_cids(url: str, timeout: float = 10) -> set[str]:
    """Every event CID in a node's ceramic-one feed, page by page."""
    found, resume = set(), "0"
    while True:
        with urllib.request.urlopen(f"{url}/ceramic/feed/events?resumeAt={resume}&limit=1000", timeout=timeout) as answer:
            page = json.load(answer)
        found |= {event["id"] for event in page["events"]}
        if page["resumeToken"] == resume:
            return found
        resume = page["resumeToken"]


def expect_synced(model: InterestModel, graph: nx.Graph, urls: dict[str, str], logs: Callable[[str], list[str]],
                  timeout: float = SYNC_BOUND, gone=None) -> int:
    """Ceramic's correctness check: every event in every node expected to hold it, and none in a
    node with no interest in its model. Returns the (node, event) pairs compared. `gone`: the
    fleet's (waits.wait_for)."""
    expected = model.expected(graph)
    for node, cids in sorted(expected.items()):
        _wait_holds(node, cids, urls[node], logs, timeout, gone)
    forbidden = model.forbidden(sorted(graph))
    _check_absent(forbidden, urls, model.refused)
    return sum(map(len, expected.values())) + sum(map(len, forbidden.values()))


def _check_absent(forbidden: dict[str, set[str]], urls: dict[str, str], refused: set[str]) -> None:
    for node, cids in sorted(forbidden.items()):
        if stray := cids & feed_cids(urls[node]):
            why = "refused as schema-breaking" if stray & refused else "of models it has no interest in"
            raise ExpectationFailed(f"{node} holds {len(stray)} events {why}, e.g. {min(stray)}", expected=set(),
                                    observed=stray, node=node)


def expect_lacks(model: InterestModel, graph: nx.Graph, urls: dict[str, str], cids: set[str]) -> None:
    """These nodes' feeds hold none of `cids` (events posted while they were cut off). Refused as a
    question when the rule expects a node to hold one: the scenario would contradict the oracle."""
    expected = model.expected(graph)
    for node, url in sorted(urls.items()):
        if contradicted := cids & expected.get(node, set()):
            raise ModelRefused(f"the interest rule expects {node} to hold {len(contradicted)} of these events (it is "
                               f"connected to a holder through interested nodes)", asked={node: set()},
                               predicted={node: contradicted}, node=node)
        if held := cids & feed_cids(url):
            raise ExpectationFailed(f"{node} holds {len(held)} events posted while it was cut off from every holder, "
                                    f"e.g. {min(held)}", expected=set(), observed=held, node=node)


def _wait_holds(node: str, cids: set[str], url: str, logs, timeout: float, gone=None) -> None:
    try:
        wait_for(lambda: feed_cids(url), lambda seen: cids <= seen, timeout=timeout,
                 expected=f"{node}'s feed to hold the {len(cids)} events of its interests that reached its component",
                 logs=lambda: logs(node), gone=gone)
    except WaitTimeout as exc:
        raise ExpectationFailed(f"{node} lacks events the interest rule expects there\n{exc}", node=node) from exc
