"""A failure's evidence when the backend says some nodes were cut off from the run's network (a
`docker network disconnect` of one node): only those go unasked; the others are still asked. Behind an
engine that does not answer, the bundle waits for it a bounded time, then asks every node."""

import threading
import time
from types import SimpleNamespace

import pytest

from fakenet.bundle import evidence as evidence_module

from fakenet.bundle.evidence import gather, snapshot
from fakenet.harness.ended import Ending
from fakenet.harness.network import Network
from fakenet.kinds.base import Tip
from support.fake_backend import FakeBackend, FakeClient, FakeKind, FakeRuntime


class ChainClient(FakeClient):
    def tip(self) -> Tip:
        if not self.runtime.reachable:
            raise AssertionError(f"{self.runtime.name} was asked, out of reach")  # a 30 s timeout, in life
        return Tip("00ab", 0, 1)


class ChainKind(FakeKind):
    capabilities = frozenset({"identity", "chain"})


@pytest.fixture
def net(monkeypatch):
    monkeypatch.setattr(FakeRuntime, "reachable", True, raising=False)
    original = FakeRuntime.__init__

    def with_tip(self, *args):
        original(self, *args)
        self._fake_client = ChainClient(self)
    monkeypatch.setattr(FakeRuntime, "__init__", with_tip)
    kind = ChainKind()
    network = Network(4, backend=FakeBackend(kind), kind=kind)
    network.start()
    yield network
    network.close()


def cut(net, *names, removed=False):
    for name in names:
        net.fleet.runtimes[name].reachable = False
    ending = Ending("network demo_p2p", f"lost the endpoint of {', '.join(names)}", True, who="someone", nodes=names)
    net.fleet.watch = lambda fresh=False, within=None: [ending]
    return ending


def test_one_node_cut_off_leaves_only_it_unasked(net):
    ending = cut(net, "node3")
    evidence = gather(net)
    assert {name: tip["observed"] is not None for name, tip in evidence.tips.items()} == \
        {"node": True, "node2": True, "node3": False, "node4": True}
    assert f"tips, holdings and availability: not asked of node3: {ending.sentence()}" in evidence.problems
    # the graph among the others is observed; the cut node's links are what its peers still list
    assert ("node", "node2") in evidence.final.observed and evidence.final.problem.startswith("observed graph: not asked of node3")


def test_every_node_cut_off_leaves_every_node_unasked(net):
    ending = cut(net, *net.names)
    evidence = gather(net)
    assert evidence.tips == {}
    assert evidence.problems[-1] == f"tips, holdings and availability: not asked: {ending.sentence()}"
    assert snapshot(net).problem == f"observed graph: not asked: {ending.sentence()}"


def test_an_ending_that_names_no_nodes_took_them_all(net):
    for name in net.names:
        net.fleet.runtimes[name].reachable = False
    net.fleet.watch = lambda fresh=False, within=None: [Ending("network demo_p2p", "was removed", True)]
    assert gather(net).tips == {}


class _HungEngine:
    """An engine whose network inspect does not return until released (a dockerd stuck on a lock)."""

    def __init__(self):
        self.release, self.looks = threading.Event(), 0
        self.api = SimpleNamespace(inspect_network=self.inspect_network)

    def inspect_network(self, network_id):
        self.looks += 1
        self.release.wait(30)  # the SDK's own bound is 60 s
        return {"Driver": "bridge", "Containers": {}}


def test_a_hung_engine_holds_the_bundle_a_bounded_time_then_every_node_is_asked(net, monkeypatch):
    from fakenet.harness.backends.docker import DockerBackend, DockerRuntime

    monkeypatch.setattr(evidence_module, "ENGINE_PATIENCE", 0.3, raising=False)
    engine = _HungEngine()
    backend = DockerBackend(SimpleNamespace(name="fakenet"), client=engine)
    backend.network, backend.network_name = SimpleNamespace(id="n1"), "fakenet-run1"
    backend.runtimes = {"node": DockerRuntime(backend, None, container=SimpleNamespace(id="c1"), name="node")}
    net.fleet.watch = backend.lost
    try:
        began = time.monotonic()
        evidence = gather(net)
        took = time.monotonic() - began
    finally:
        engine.release.set()
    assert took < 2.0, f"the bundle waited {took:.1f}s on an engine that did not answer"
    assert engine.looks == 1, "the snapshot's ask and the evidence's shared the one look"
    assert {name: tip["observed"] is not None for name, tip in evidence.tips.items()} == dict.fromkeys(net.names, True)
    silent = "engine: the engine did not answer whether the run's network still stands"
    assert any(problem.startswith(f"network: not known whether it still stands: {silent}") for problem in evidence.problems), \
        evidence.problems
    assert silent in evidence.final.problem
