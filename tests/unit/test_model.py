"""The oracle's model and the link-filter facade, without nodes or an engine."""

import networkx as nx
import pytest

from fakenet.harness import topology
from fakenet.harness.backends.base import LinkRules
from fakenet.harness.backends.linkfilter import PacketFilter, script
from fakenet.harness.model import LruModel, NetworkModel

NAMES = topology.node_names(4)


def model(kind="full"):
    return NetworkModel(topology.build(kind, NAMES), {n: f"id-{n}" for n in NAMES}, cache_limit=3)


def edges(graph):
    return sorted(tuple(sorted(e)) for e in graph.edges)


def test_full_mesh_until_a_node_goes_down():
    m = model()
    assert len(edges(m.expected_graph())) == 6
    m.went_down("node3")
    assert "node3" not in m.expected_graph() and len(edges(m.expected_graph())) == 3


def test_a_one_way_cut_cuts_the_connection():
    m = model()
    allowed = nx.complete_graph(NAMES, create_using=nx.DiGraph)
    allowed.remove_edge("node", "node2")
    m.allowed = allowed
    assert ("node", "node2") not in edges(m.expected_graph()) and len(edges(m.expected_graph())) == 5


def test_a_changed_identity_is_refused_until_it_returns_or_is_accepted():
    m = model()
    m.identity_changed("node4", "id-new")
    assert edges(m.expected_graph()) == edges(nx.complete_graph(NAMES[:3]))
    m.accept_identity("node", "node4")
    assert ("node", "node4") in edges(m.expected_graph())
    m.identity_changed("node4", "id-node4")
    assert ("node2", "node4") in edges(m.expected_graph()) and ("node", "node4") not in edges(m.expected_graph())


def test_availability_follows_components_not_adjacency():
    m = model("line")  # node – node2 – node3 – node4
    m.used("node", "s")
    assert all(m.available("s", n) for n in NAMES)
    m.went_down("node2")
    assert m.available("s", "node") and not m.available("s", "node3")


def test_restart_empties_the_cache_but_keeps_pins():
    m = model()
    m.used("node", "cached")
    m.pins["node"].add("pinned")
    m.went_down("node")
    m.came_up("node", restarted=True)
    assert m.holders("cached") == set() and m.holders("pinned") == {"node"}


def test_lru_model_evicts_least_recently_used_first():
    lru = LruModel(3)
    for s in "abc":
        lru.use(s)
    lru.use("a")
    assert lru.use("d") == ["b"] and list(lru.order) == ["c", "a", "d"]
    assert lru.evict(count=1) == ["c"] and lru.evict(ids=["d"]) == ["d"] and list(lru.order) == ["a"]


@pytest.mark.parametrize("kind, degrees", [("ring", {2}), ("line", {1, 2}), ("random-regular", {3})])
def test_topologies(kind, degrees):
    graph = topology.build(kind, topology.node_names(8), degree=3, seed=1)
    assert {d for _, d in graph.degree} == degrees and nx.is_connected(graph)


def test_packet_filter_rules_from_link_rules_through_a_fake_runner():
    ran = []
    pf = PacketFilter(lambda text: ran.append(text) or (0, ""), "node")
    pf.apply(LinkRules(frozenset({"node2"}), loss=(("node3", 0.25),)), {"node2": "10.0.0.2", "node3": "10.0.0.3"})
    assert "iptables -w -A FAKENET_IN -s 10.0.0.2 -j DROP" in ran[0]
    assert "iptables -w -A FAKENET_OUT -d 10.0.0.2 -j DROP" in ran[0]
    assert "-s 10.0.0.3 -m statistic --mode random --probability 0.2500 -j DROP" in ran[0]
    assert "iptables -w -F $chain" in script(LinkRules(), {}) and "DROP" not in script(LinkRules(), {})


def test_packet_filter_failure_is_a_clear_error():
    pf = PacketFilter(lambda text: (4, "iptables: Permission denied (you must be root)"), "node3")
    with pytest.raises(Exception, match="could not set the packet filter of node3: iptables: Permission denied"):
        pf.apply(LinkRules(frozenset({"node"})), {"node": "10.0.0.1"})


def test_netem_script_gives_each_slowed_peer_its_own_band():
    from fakenet.harness.backends.linkfilter import has_netem, netem_script

    text = netem_script({"node2": 50, "node3": 120, "gone": 5}, {"node2": "10.0.0.2", "node3": "10.0.0.3"})
    assert "root handle 1: prio bands 5" in text
    assert "parent 1:4 handle 40: netem delay 50ms" in text and "match ip dst 10.0.0.2/32 flowid 1:4" in text
    assert "parent 1:5 handle 50: netem delay 120ms" in text and "match ip dst 10.0.0.3/32 flowid 1:5" in text
    assert "prio bands" not in netem_script({}, {})
    assert has_netem(lambda _: (0, "")) and not has_netem(lambda _: (2, "Error: Specified qdisc kind is unknown."))


def test_slow_and_lossy_links_leave_availability_open_within_the_documented_bound():
    net = NetworkModel(topology.build("line", NAMES), {n: f"id-{n}" for n in NAMES}, cache_limit=3, sync_timeout=4.0)
    net.pinned(NAMES[0], "s")
    far = NAMES[-1]
    assert net.availability("s", far) is True
    link = frozenset(NAMES[:2])
    net.links_changed(None, {link: (0.0, 900.0)})  # round trip 1.8 s < T/2: never given up on
    assert net.availability("s", far) is True
    net.links_changed(None, {link: (0.0, 1500.0)})  # 3 s: between T/2 and T
    assert net.availability("s", far) is None and not net.available("s", far)
    net.links_changed(None, {link: (0.0, 2000.0)})  # 4 s >= T: a cut, for loads
    assert net.availability("s", far) is False
    net.links_changed(None, {link: (0.05, 0.0)})  # lossy: which frame is dropped depends on timing
    assert net.availability("s", far) is None
    assert net.availability("s", NAMES[0]) is True  # the holder itself needs no link


def test_a_link_slower_than_the_peer_timeout_is_no_edge_and_carries_no_load():
    """Peer timeout P=3, keepalive 1, sync timeout T=10 (so the sync bound does not decide): a delay
    d with d + 1 < P is a steady edge; d >= P never delivers a frame before the connection times out
    (dead: no edge, no load, no blocks); in between it may flap (the graph check leaves it open)."""
    net = NetworkModel(topology.build("line", NAMES), {n: f"id-{n}" for n in NAMES}, cache_limit=3,
                       sync_timeout=10.0, peer_timeout=3.0)
    net.pinned(NAMES[0], "s")
    link, far = frozenset(NAMES[:2]), NAMES[-1]
    net.links_changed(None, {link: (0.0, 1900.0)})
    assert net.expected_graph().has_edge(*NAMES[:2]) and not net.unsteady_links()
    assert net.availability("s", far) is True
    net.links_changed(None, {link: (0.0, 2500.0)})  # d + keepalive >= P: may time out
    assert net.expected_graph().has_edge(*NAMES[:2]) and net.unsteady_links() == {link}
    assert net.availability("s", far) is None
    net.links_changed(None, {link: (0.0, 3000.0)})  # d >= P: dead
    assert not net.expected_graph().has_edge(*NAMES[:2]) and net.unsteady_links() == {link}
    assert net.availability("s", far) is False and net.component(far) == set(NAMES[1:])
    net.mined(NAMES[0], ["b1"])
    assert net.chain.tips(far) == {(0, None)}  # blocks do not cross a dead link either


def test_unpinning_a_stream_not_in_the_cache_caches_it_again_as_ceramic_does():
    m = model("line")
    m.pinned("node", "s")
    m.evicted("node", ids=["s"])
    assert m.holders("s") == {"node"}  # pinned, not cached
    m.used("node", "a"), m.used("node", "b"), m.used("node", "c")
    assert m.unpinned("node", "s") == ["a"]  # read back into the cache as its newest: the oldest goes
    assert m.holders("s") == {"node"} and list(m.caches["node"].order) == ["b", "c", "s"]
    m.pinned("node2", "t")
    assert m.unpinned("node2", "t") == [] and list(m.caches["node2"].order) == ["t"]  # cached already: no use


def test_availability_of_a_large_network_costs_memory_linear_in_its_nodes():
    """Issue 28: a copy of each node's component made the prediction n² (10 GB at 10,000 nodes,
    which took a scenario of that size to 14.5 GB); shared per component it is a few MB."""
    import tracemalloc

    names = topology.node_names(2000)
    m = NetworkModel(nx.relabel_nodes(nx.cycle_graph(2000), dict(enumerate(names))), {n: n for n in names})
    m.pinned("node", "s1")
    tracemalloc.start()
    try:
        predicted = m.availability_map(["s1", "s2"], ["node2", "node1000"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert predicted == {("s1", "node2"): True, ("s1", "node1000"): True, ("s2", "node2"): False,
                         ("s2", "node1000"): False}
    assert peak < 30e6, f"expected under 30 MB traced at 2,000 nodes, observed {peak / 1e6:.0f} MB"


def test_a_cache_whose_writes_may_reach_the_byte_limit_is_beyond_the_model():
    from fakenet.harness.model import CacheBeyondModel

    m = NetworkModel(topology.build("full", NAMES), {n: f"id-{n}" for n in NAMES}, cache_limit=3, cache_bytes=3000)
    for stream in ("a", "b", "c"):
        m.wrote(stream, 1000)
        m.used("node", stream)
        m.check_bytes()  # three streams at their bound: within the limit
    m.wrote("d", 1000)
    m.used("node", "d")
    m.check_bytes()  # the count evicts "a": still within
    assert list(m.caches["node"].order) == ["b", "c", "d"]
    m.used("node2", "d")
    m.check_bytes()
    m.wrote("d", 1)  # written at node2: node holds d too, and its copy grows by gossip
    with pytest.raises(CacheBeyondModel, match="^node's stream cache may reach its byte limit"):
        m.check_bytes()
    assert list(m.caches["node"].order) == ["b", "c", "d"] and "d" in m.caches["node2"].order  # bookkeeping done
    m.check_bytes()  # said once: nothing touched since


def test_without_a_byte_limit_the_model_predicts_by_count_whatever_was_written():
    m = model()
    m.wrote("big", 10**9)
    m.used("node", "big")
    m.check_bytes()
    assert "node" in m.holders("big")
