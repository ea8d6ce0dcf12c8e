"""Echo searches (fakenet.node.echo) in a discrete-event simulation: every link has its own
delay, nothing runs in real time, so a 64-node line and a badly delayed ring take milliseconds."""

import heapq
import itertools
import random

import networkx as nx
import pytest

from fakenet.node import lag
from fakenet.node.echo import ALIVE, DONE, LOCAL, EchoSearches
from fakenet.node.stream_network import unrelayed


class Net:
    """Nodes of a graph running EchoSearches for a query; `delay[(u, v)]` is the latency of u→v."""

    def __init__(self, graph: nx.Graph, holders=(), delay=None, memory=20000, silence=3.0, lossy=(), lookup=None,
                 grace=0.0, stalls=None):
        self.graph, self.holders = graph, set(holders)
        self.lookup = lookup or {}  # node -> seconds its lookup takes (a disk read off the event loop)
        self.delay, self.lossy, self.silence = delay or {}, set(lossy), silence
        # `grace`: the extra silence every node grants every link (the lag it measured); `stalls[(u, v)]`:
        # the (start, end) during which u's connection to v heard nothing at all (fakenet.node.lag.StallClock)
        self.stalls = stalls or {}
        self.searches = {node: EchoSearches(unrelayed, silence, memory, stall=lambda link, node=node: self._stall(node, link),
                                            grace=lambda link, stalled: lag.grace(silence, 0.0, grace, stalled=stalled))
                         for node in graph}
        self.queue, self.seq, self.now = [], itertools.count(), 0.0
        self.local: list[tuple[float, dict]] = []  # what reached the asker, when
        self.sent: dict[tuple, int] = {}  # (u, v, type) -> frames

    def ask(self, node, qid="q1"):
        self._post(node, self.searches[node].begin(qid, {"t": "sq", "qid": qid}, self.graph[node], self.now))
        return self

    def run(self, until=float("inf"), close=None):
        """Deliver frames in time order, ticking every node every silence/4 while it searches."""
        while self.queue and self.queue[0][0] <= until:
            self.now, _, dst, src, message = heapq.heappop(self.queue)
            if message is None:
                self._post(dst, self.searches[dst].tick(self.now))
            elif self.graph.has_edge(src, dst) or src == dst:
                self._post(dst, self._receive(dst, src, message))
        for u, v in close or ():
            self.graph.remove_edge(u, v)
            self._post(u, self.searches[u].closed(v))
            self._post(v, self.searches[v].closed(u))
        return self

    def _stall(self, node, link):
        start, end = self.stalls.get((node, link), (0.0, 0.0))
        return max(0.0, min(self.now, end) - start)

    def _receive(self, node, src, message):
        searches, qid = self.searches[node], message["qid"]
        held = {"t": "sr", "qid": qid, "holder": node}
        respond = (held, None) if node in self.holders else (None, {**message, "t": "sq"})
        if message["t"] == "sq" and node in self.lookup:  # as StreamNetwork: join, look up, then proceed
            if not searches.join(qid, src, self.now):
                return [(src, {"t": DONE, "qid": qid, "nodes": 0, "lost": 0})]
            heapq.heappush(self.queue, (self.now + self.lookup[node], next(self.seq), node, node,
                                        {**message, "t": "looked-up"}))
            return []
        if message["t"] == "looked-up":
            return searches.proceed(qid, self.graph[node], respond, self.now)
        if message["t"] == "sq":
            return searches.request(qid, src, self.graph[node], lambda: respond, self.now)
        if message["t"] == DONE:
            return searches.done(qid, src, message["nodes"], message["lost"])
        if message["t"] == ALIVE:
            return searches.alive(qid, src, self.now) or []
        return searches.answer(qid, src, message, self.now)

    def _post(self, src, sends):
        ticking = {entry[2] for entry in self.queue if entry[4] is None}
        if self.searches[src].active() and src not in ticking:
            heapq.heappush(self.queue, (self.now + self.silence / 4, next(self.seq), src, src, None))
        for dst, message in sends:
            if dst == LOCAL:
                self.local.append((self.now, message))
                continue
            key = (src, dst, message["t"])
            self.sent[key] = self.sent.get(key, 0) + 1
            if (src, dst) in self.lossy:
                continue
            when = self.now + self.delay.get((src, dst), 0.001)
            heapq.heappush(self.queue, (when, next(self.seq), dst, src, message))

    def answers(self):
        return [m for _, m in self.local if m["t"] == "sr"]

    def finished(self):
        return [m["nodes"] for _, m in self.local if m["t"] == DONE]

    def lost(self):
        return [m["lost"] for _, m in self.local if m["t"] == DONE]


def test_a_holder_at_the_far_end_of_a_64_node_line_answers():
    net = Net(nx.path_graph(64), holders={63}).ask(0).run()
    assert [a["holder"] for a in net.answers()] == [63]
    assert net.finished() == [64]


def test_a_search_that_finds_nothing_ends_with_the_size_of_the_component():
    graph = nx.disjoint_union(nx.path_graph(64), nx.path_graph(3))  # 64..66 hold it, unreachable
    net = Net(graph, holders={64, 65, 66}).ask(0).run()
    assert net.answers() == [] and net.finished() == [64]
    assert all(s.active() == 0 for s in net.searches.values()), "a finished search leaves no state behind"


def test_a_slow_short_link_to_a_holder_beside_a_long_detour_still_finds_it():
    """Issue 13, case 2: asker 0 on a ring of 12, holder h behind 0's neighbour 1, and 0→1 is
    500 ms slow: the query reaches 1 first the long way round. An 8-hop flood arrived there with
    its budget spent and dropped the fast copy as a duplicate; the echo search forwards it."""
    graph = nx.cycle_graph(12)
    graph.add_edge(1, "h")
    net = Net(graph, holders={"h"}, delay={(0, 1): 0.5, (1, 0): 0.5}).ask(0).run()
    assert [a["holder"] for a in net.answers()] == ["h"]
    assert net.local[0][0] < 0.1, "the answer comes back round the detour, not over the slow link"


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_and_delays_find_iff_a_holder_is_connected(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 40)
    graph = nx.gnp_random_graph(n, rng.uniform(0.02, 0.3), seed=seed)
    # Round trips under silence/2 (3 s): such links are never given up on.
    delay = {(u, v): rng.choice([0.001, 0.01, 0.1, 0.7]) * rng.random() for u, v in graph.to_directed().edges}
    holders = set(rng.sample(range(n), rng.randint(0, 3)))
    asker = rng.randrange(n)
    net = Net(graph, holders, delay).ask(asker).run()
    component = nx.node_connected_component(graph, asker)
    reachable = bool(holders & component) and asker not in holders
    assert bool(net.answers()) == reachable
    assert len(net.answers()) <= 1, "a query passes up only its first answer"
    assert len(net.finished()) == 1, "every search ends, and says so once"
    if not holders & component:
        assert net.finished() == [len(component)]
    assert max(count for (_, _, kind), count in net.sent.items() if kind != ALIVE) <= 1 if net.sent else True, \
        "at most one query, answer and done per link direction"
    assert net.lost() == [0]


def test_a_link_that_closes_mid_search_counts_as_done():
    net = Net(nx.path_graph(6), delay={(2, 3): 1.0}).ask(0).run(until=0.5, close=[(2, 3)]).run()
    assert net.finished() == [3]


def test_a_search_whose_parent_link_closed_is_forgotten():
    net = Net(nx.path_graph(6), delay={(3, 4): 1.0}).ask(0).run(until=0.5, close=[(0, 1)]).run()
    assert net.finished() == [1], "the asker ends its search alone"
    assert all(s.active() == 0 for s in net.searches.values()), "nodes cut off from the asker forget it"


def test_fetch_answers_pass_each_block_up_once():
    relayed = set()
    first = unrelayed({"t": "br", "qid": "q", "blocks": {"a": "00", "b": "01"}}, relayed)
    assert first["blocks"] == {"a": "00", "b": "01"}
    assert unrelayed({"t": "br", "qid": "q", "blocks": {"b": "01", "c": "02"}}, relayed)["blocks"] == {"c": "02"}
    assert unrelayed({"t": "br", "qid": "q", "blocks": {"a": "00"}}, relayed) is None


def test_memory_is_bounded():
    net = Net(nx.path_graph(3), memory=5)
    for i in range(20):
        net.ask(0, qid=f"q{i}").run()
    assert len(net.finished()) == 20
    assert all(len(s._seen) <= 5 for s in net.searches.values())


def test_a_long_line_of_slow_links_is_searched_to_the_end_however_long_it_takes():
    """No deadline grows with the diameter: 64 hops of 0.4 s each way take 50 s, far past the
    3 s silence, and nodes still searching say so to their parents."""
    graph = nx.path_graph(64)
    delay = {edge: 0.4 for edge in graph.to_directed().edges}
    net = Net(graph, holders={63}, delay=delay).ask(0).run()
    assert [a["holder"] for a in net.answers()] == [63] and net.finished() == [64] and net.lost() == [0]
    assert net.local[0][0] > 50
    assert net.sent[(1, 0, ALIVE)] > 10


def test_a_lost_frame_costs_one_silence_wherever_it_was_lost():
    """Node 40's done to 39 is lost: 39 gives up on 40 after the silence, and the search ends."""
    net = Net(nx.path_graph(64), lossy={(40, 39)}).ask(0).run()
    assert net.finished() == [40] and net.lost() == [1], "nodes 40..63 were given up on"
    assert 3.0 <= net.local[-1][0] < 3.0 + 1.0


def test_a_link_slower_than_the_silence_is_given_up_on():
    net = Net(nx.path_graph(4), holders={3}, delay={(1, 2): 4.0, (2, 1): 4.0}).ask(0).run()
    assert net.answers() == [] and net.finished() == [2] and net.lost() == [1]


def test_a_node_whose_lookup_outlasts_the_silence_is_waited_for():
    """A node joins a search before its lookup (off the event loop, possibly waiting on a busy
    disk) and says alive meanwhile: its parent does not give up on it, however long it takes."""
    net = Net(nx.path_graph(8), holders={7}, lookup={3: 10.0, 5: 4.0}).ask(0).run()
    assert [a["holder"] for a in net.answers()] == [7] and net.finished() == [8] and net.lost() == [0]
    assert net.sent[(3, 2, ALIVE)] >= 10


def test_a_joined_node_whose_parent_went_away_does_nothing_after_its_lookup():
    net = Net(nx.path_graph(6), holders={5}, lookup={3: 2.0}).ask(0).run(until=1.0, close=[(2, 3)]).run()
    assert net.finished() == [3] and net.lost() == [1]
    assert (3, 4, "sq") not in net.sent and net.searches[3].active() == 0


def test_a_neighbour_late_by_less_than_its_grace_is_waited_for_and_without_grace_is_given_up_on():
    """Node 2 answers 4 s late each way (a paused or starved process): past the 3 s silence, so
    without grace it is given up on; with the 3 s of lag the node measured, the search waits."""
    late = {(1, 2): 0.001, (2, 1): 4.0, (2, 3): 0.001, (3, 2): 0.001}
    bare = Net(nx.path_graph(4), holders={3}, delay=late).ask(0).run()
    assert bare.lost() == [1] and bare.answers() == []
    patient = Net(nx.path_graph(4), holders={3}, delay=late, grace=3.0).ask(0).run()
    assert [a["holder"] for a in patient.answers()] == [3] and patient.lost() == [0]


def test_grace_does_not_stretch_past_its_bound():
    late = {(1, 2): 0.001, (2, 1): 7.0}
    net = Net(nx.path_graph(3), delay=late, grace=3.0).ask(0).run()
    assert net.lost() == [1], "silent past silence + grace: given up on"
    assert 6.0 <= net.local[-1][0] < 6.0 + 1.0


def test_a_neighbour_whose_link_stalls_is_waited_for_while_a_talking_link_is_given_up_on():
    """Node 2 answers 6 s late (paused): past 3 s of silence and 2 s of lag measured before.
    While node 1's connection to it hears nothing at all (a stall), node 1's search waits; the
    same silence on a link that goes on talking (a lost or forgotten frame) is given up on."""
    late = {(1, 2): 0.001, (2, 1): 6.0, (2, 3): 0.001, (3, 2): 0.001}
    talking = Net(nx.path_graph(4), holders={3}, delay=late, grace=2.0).ask(0).run()
    assert talking.lost() == [1] and talking.answers() == []
    stalled = Net(nx.path_graph(4), holders={3}, delay=late, grace=2.0, stalls={(1, 2): (0.5, 6.0)}).ask(0).run()
    assert [a["holder"] for a in stalled.answers()] == [3] and stalled.lost() == [0]


def test_a_stall_stretches_the_wait_no_further_than_the_cap():
    """A neighbour stalled for good (hostile, or hung with its connection open) is given up on
    at silence + EXTRA_CAP x silence, the bound lag.py states."""
    net = Net(nx.path_graph(3), delay={(1, 2): 0.001, (2, 1): 60.0}, stalls={(1, 2): (0.0, 60.0)}).ask(0).run()
    assert net.lost() == [1]
    given_up = (1 + lag.EXTRA_CAP) * net.silence
    assert given_up <= net.local[-1][0] < given_up + net.silence


def test_a_request_not_passed_on_ends_at_once_and_counts_its_links_as_lost():
    """A relay whose send budget holds a request back (fakenet.node.relay_budget) asks no link:
    its parent hears `done` at once, with the links it did not ask as lost, not a hang."""
    relay = EchoSearches(unrelayed, 3.0)
    assert relay.join("q", "asker", 0.0)
    sends = relay.proceed("q", [], (None, {"t": "sq", "qid": "q"}), 0.0, unreached=2)
    assert sends == [("asker", {"t": DONE, "qid": "q", "nodes": 1, "lost": 2})]
    assert relay.active() == 0


def test_a_request_passed_on_to_some_links_reports_the_others_lost_when_done():
    relay = EchoSearches(unrelayed, 3.0)
    relay.join("q", "asker", 0.0)
    assert relay.proceed("q", ["b"], (None, {"t": "sq", "qid": "q"}), 0.0, unreached=1) == [("b", {"t": "sq", "qid": "q"})]
    assert relay.done("q", "b", 1) == [("asker", {"t": DONE, "qid": "q", "nodes": 2, "lost": 1})]


def test_only_a_link_that_was_asked_and_is_not_done_has_its_answers_passed_up():
    relay = EchoSearches(unrelayed, 3.0)
    relay.join("q", "asker", 0.0)
    relay.proceed("q", ["asker", "b", "c"], (None, {"t": "sq", "qid": "q"}), 0.0)
    answer = {"t": "sr", "qid": "q", "tip": "t1"}
    assert relay.answer("q", "asker", answer, 0.1) == [], "the parent was not asked"
    relay.done("q", "c", 1)
    assert relay.answer("q", "c", answer, 0.1) == [], "c said done: later answers are noise"
    assert relay.answer("q", "b", answer, 0.1) == [("asker", answer)]


def test_a_search_passes_up_at_most_tips_per_link_distinct_answers():
    """What the parent takes (free) from one link: a rogue child cannot make its relay send more."""
    from fakenet.node.stream_network import TIPS_PER_LINK
    relayed = set()
    passed = [unrelayed({"t": "sr", "qid": "q", "tip": f"t{i}"}, relayed) for i in range(TIPS_PER_LINK + 3)]
    assert [p["tip"] for p in passed if p] == [f"t{i}" for i in range(TIPS_PER_LINK)]
    assert unrelayed({"t": "sr", "qid": "q", "tip": "t0"}, set()) is not None
