"""Network's bookkeeping on an in-memory backend: faults stack and undo, link rules merge, the model
follows every action, and the oracle's graph matches the fake world's."""

import networkx as nx
import pytest

import fakenet
from fakenet.errors import ConfigError, ExpectationFailed, FakenetError, WaitTimeout
from fakenet.harness import faults
from fakenet.harness.links import LinkPlan
from fakenet.harness.network import Network
from fakenet.harness.waits import wait_for
from support.fake_backend import FakeBackend, FakeKind


@pytest.fixture
def net():
    kind = FakeKind()
    network = Network(4, backend=FakeBackend(kind), kind=kind, topology="ring")
    network.start()
    yield network
    network.close()


def test_started_network_matches_the_model(net):
    assert net.oracle.observed_graph().number_of_edges() == 4
    assert set(net.oracle.model.identity.values()) == {net.fleet.runtimes[n].identity for n in net.names}


def test_overlapping_link_faults_merge_and_undo_one_at_a_time(net):
    partition = net.partition([["node", "node2"], ["node3", "node4"]])
    cut = net.cut_links(nx.DiGraph([(u, v) for u in net.names for v in net.names if {u, v} != {"node", "node2"}]))
    net.oracle.expect_graph(timeout=1)
    assert net.oracle.observed_graph().number_of_edges() == 1  # node3–node4 only
    net.undo(partition)
    net.oracle.expect_graph(timeout=1)
    assert sorted(map(sorted, net.oracle.observed_graph().edges)) == [["node", "node4"], ["node2", "node3"], ["node3", "node4"]]
    net.undo(cut)
    net.oracle.expect_graph(timeout=1)
    assert net.oracle.observed_graph().number_of_edges() == 4
    assert [e.kind for e in net.oracle.timeline] .count("apply") == 2


def test_a_one_way_cut_cuts_the_connection(net):
    net.cut_links(nx.DiGraph([(u, v) for u in net.names for v in net.names if (u, v) != ("node", "node2")]))
    assert not net.oracle.model.link_allowed("node", "node2") and not net.oracle.model.link_allowed("node2", "node")
    net.oracle.expect_graph(timeout=1)


def test_filters_name_peers_by_identity_and_carry_the_seed(net):
    net.degrade("node", "node2", loss=0.5, delay_ms=20)
    loss, delay, seed = net.fleet.runtimes["node"].shaped
    assert loss == {net.oracle.model.identity["node2"]: 0.5} and delay == {net.oracle.model.identity["node2"]: 20}
    assert seed == net.seed


def test_crash_and_lost_identity_stack_and_heal_in_reverse(net):
    net.crash("node3")
    net.lose_identity("node4")
    assert net.oracle.model.down == {"node3"}
    new_id = net.oracle.model.identity["node4"]
    assert new_id == net.fleet.runtimes["node4"].identity
    with pytest.raises(ExpectationFailed):  # the world keeps node4's edges: its fake peers trust any id
        net.oracle.expect_graph(timeout=0.2)
    net.heal()
    assert net.oracle.model.identity["node4"] != new_id and not net.fleet.active and not net.oracle.model.down
    net.oracle.expect_graph(timeout=1)


def test_expectation_failures_carry_data_and_are_assertions(net):
    net.fleet.runtimes["node2"].blocked = {net.oracle.model.identity["node3"]}  # the world drifts from the model
    with pytest.raises(ExpectationFailed) as raised:
        net.oracle.expect_graph(timeout=0.2)
    assert isinstance(raised.value, AssertionError) and isinstance(raised.value, FakenetError)
    assert raised.value.difference == "missing edges node2–node3"


def test_capabilities_are_checked_before_anything_runs(net):
    with pytest.raises(ConfigError, match="no 'streams' capability"):
        net.streams.create("node")
    with pytest.raises(ConfigError, match="no 'chain' capability"):
        net.chain.mine("node")


def test_wait_for_raises_a_probe_bug_at_once():
    calls = []

    def broken():
        calls.append(1)
        return {}["missing"]

    with pytest.raises(KeyError):
        wait_for(broken, bool, timeout=5, expected="never")
    assert len(calls) == 1
    with pytest.raises(WaitTimeout):
        wait_for(lambda: (_ for _ in ()).throw(OSError("refused")), bool, timeout=0.1, expected="an answer")


def test_public_api():
    assert fakenet.__all__ == [
        "ConfigError", "ContainerError", "ExpectationFailed", "FakenetError", "InProcessNode", "Launch",
        "MissingCapability", "Network", "Node", "NodeClient", "NodeKind", "RpcError", "Tip", "WaitTimeout",
        "load_scenario", "run_scenario", "__version__"]
    for name in fakenet.__all__:
        assert getattr(fakenet, name) is not None
    assert fakenet.Network is Network


def test_availability_disagreements_are_explained_in_words(net):
    from fakenet.harness.expect import explain_pair

    net.oracle.model.pinned("node", "k2t6streamxyz")
    net.partition([["node", "node2"], ["node3", "node4"]])
    text = explain_pair(net.fleet, "k2t6streamxyz", "node3", False)
    assert text.startswith("node3 loaded k2t6streamxy…, but the model says it cannot: its 1 holder(s) (node) are in "
                           "another component since ") and "(apply partition(" in text
    assert "its holder(s) node are in its component" in explain_pair(net.fleet, "k2t6streamxyz", "node2", True)


def test_an_explanation_names_the_holders_before_the_probe_not_the_loading_node(net, monkeypatch):
    """A load that succeeds makes the loader a holder; the explanation of a wrong prediction must
    say who held the stream when the model predicted, not name node3 as its own remote holder."""
    net.oracle.model.pinned("node", "k2t6streamxyz")
    net.partition([["node", "node2"], ["node3", "node4"]])

    def loads(name, stream):  # the world disagrees with the model: node3 loads it
        net.oracle.model.used(name, stream)
        return True

    monkeypatch.setattr(net.fleet, "try_load", loads)
    with pytest.raises(ExpectationFailed) as failed:
        net.oracle.expect_availability(["k2t6streamxyz"], ["node3"])
    assert "its 1 holder(s) (node) are in another component" in str(failed.value)


def test_halving_3000_nodes_judges_only_the_topology_links():
    """A partition is a group map, not a graph of every pair (4.5 million edges for two halves of
    3,000); the network asks it about the topology's links only, and each node's filter names just
    the neighbours it is cut from."""
    kind = FakeKind()
    network = Network(3000, backend=FakeBackend(kind), kind=kind, topology="ring")
    network.start()
    try:
        network.partition([network.names[:1500], network.names[1500:]])
        assert network.oracle.model.allowed.number_of_edges() == 2 * (3000 - 2)
        assert nx.number_connected_components(network.oracle.expected_graph()) == 2
        network.oracle.expect_graph(timeout=5)
        plan = LinkPlan(network.topology, [f for f in network.fleet.active if isinstance(f, faults.LinkFault)])
        assert plan.rules_for("node", 0).blocked == frozenset({"node3000"})
    finally:
        network.close()


def test_facets_exist_only_for_the_kinds_capabilities():
    """A kind without a chain has no net.chain: hasattr is False and using it says why."""
    bare = FakeKind()
    net = Network(2, backend=FakeBackend(bare), kind=bare)
    assert not hasattr(net, "chain") and not hasattr(net, "streams") and not hasattr(net, "cluster")
    with pytest.raises(fakenet.MissingCapability, match="no 'chain' capability"):
        net.chain.mine("node")

    class Miner(FakeKind):
        capabilities = frozenset({"identity", "chain"})

    miner = Miner()
    assert hasattr(Network(2, backend=FakeBackend(miner), kind=miner), "chain")


def test_names_from_before_the_facets_work_for_one_release_with_a_warning(net):
    with pytest.warns(DeprecationWarning, match=r"net.expected_graph is net.oracle.expected_graph now"):
        assert set(net.expected_graph().edges) == set(net.oracle.expected_graph().edges)
    with pytest.warns(DeprecationWarning, match=r"net.model is net.oracle.model now"):
        assert net.model is net.oracle.model
    with pytest.raises(AttributeError):
        net.no_such_name


def test_a_network_that_fails_as_it_is_made_closes_its_backend_and_raises_its_own_error(monkeypatch):
    """The backend Network made goes with the failure; a close that fails too is a note on the failure,
    not the error raised in its place (the first cause is the one the user needs)."""
    from fakenet.harness import network as network_module

    kind, closed = FakeKind(), []

    class ClosesBadly(FakeBackend):
        def close(self):
            closed.append(True)
            raise RuntimeError("the engine went away")

    def no_oracle(fleet):
        raise ConfigError("the model refused the topology")

    monkeypatch.setattr(network_module.backends, "create", lambda name, kind, **options: ClosesBadly(kind))
    monkeypatch.setattr(network_module, "Oracle", no_oracle)
    with pytest.raises(ConfigError, match="the model refused") as raised:
        Network(4, backend="fake", kind=kind)
    assert closed == [True]
    assert any("the engine went away" in note for note in raised.value.__notes__)


@pytest.mark.parametrize("nodes", [0, -1, "4", True, 4.0, None])
def test_a_node_count_that_is_no_whole_number_of_nodes_is_refused_by_name(nodes):
    """Network(0) and Network(-1) made a one-node network without a word; Network("4") (a count read from the
    environment) failed inside the naming with `TypeError: can only concatenate str (not "int") to str`."""
    with pytest.raises(ConfigError, match=rf"nodes: expected a whole number of nodes, at least 1, not {nodes!r}"):
        Network(nodes, backend="sim")


def test_one_node_and_an_integer_type_of_another_library_are_whole_numbers_of_nodes():
    from fakenet.harness.network import _node_count

    class Count:  # numpy.int64 and the like: integer types other than int, by __index__
        def __index__(self):
            return 5

    assert _node_count(1) == 1 and _node_count(Count()) == 5
