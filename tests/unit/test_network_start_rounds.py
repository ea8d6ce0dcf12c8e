"""Network.start's last phase: each node's wait for trust in its neighbours comes before the graph
check, so one round of the graph check confirms the mesh (issue 28: a round over 64 loaded nodes
took about 1.5 s, and graph-first needed two or more, then a trust round on top)."""

import time

import pytest

from fakenet.errors import ExpectationFailed
from fakenet.harness.network import Network
from fakenet.harness.waits import WaitTimeout
from support.fake_backend import FakeBackend, FakeClient, FakeKind, FakeRuntime


class DiallingClient(FakeClient):
    """A node that has dialled its neighbours (and so trusts them) from its second RPC on, as a
    real node does a moment after it answers; a link is up once both ends have dialled."""

    def _rpc(self) -> None:
        self.runtime.rpcs += 1

    def dialled(self) -> bool:
        return self.runtime.rpcs >= 2

    def trusted_identities(self) -> set[str]:
        self._rpc()
        world = self.runtime.world
        return {world.nodes[v].identity for v in world.peers_of[self.runtime.name]} if self.dialled() else set()

    def peer_identities(self) -> set[str]:
        self._rpc()
        self.runtime.graph_polls += 1
        world = self.runtime.world
        return {identity for identity in super().peer_identities()
                if self.dialled() and any(world.nodes[v].identity == identity and world.nodes[v].client.dialled()
                                          for v in world.peers_of[self.runtime.name])}


class DiallingRuntime(FakeRuntime):
    def __init__(self, *args):
        super().__init__(*args)
        self.rpcs = self.graph_polls = 0
        self._fake_client = DiallingClient(self)


class DiallingBackend(FakeBackend):
    def create(self, specs):
        for spec in specs:
            self.world.nodes[spec.name] = DiallingRuntime(self.world, self.kind, spec.name)
            self.world.peers_of[spec.name] = spec.peers
        return dict(self.world.nodes)


def test_start_confirms_the_mesh_in_one_graph_round_after_trust():
    kind = FakeKind()
    backend = DiallingBackend(kind)
    net = Network(6, backend=backend, kind=kind, topology="ring", start_timeout=5.0)
    try:
        net.start()
        polls = {name: runtime.graph_polls for name, runtime in backend.world.nodes.items()}
        assert set(polls.values()) == {1}, f"expected one getpeerinfo per node during start, observed {polls}"
        assert net.oracle.observed_graph().number_of_edges() == 6
    finally:
        net.close()


class NeverLinking(DiallingClient):
    """node2 never reaches node3: neither trusts the other, and their link never shows."""

    def _cut(self, name: str) -> str | None:
        return {"node2": "node3", "node3": "node2"}.get(self.runtime.name)

    def trusted_identities(self) -> set[str]:
        cut = self._cut(self.runtime.name)
        return {i for i in super().trusted_identities() if cut is None or i != self.runtime.world.nodes[cut].identity}

    def peer_identities(self) -> set[str]:
        cut = self._cut(self.runtime.name)
        return {i for i in super().peer_identities() if cut is None or i != self.runtime.world.nodes[cut].identity}


def backend_of(kind, client_class) -> DiallingBackend:
    """A DiallingBackend whose nodes answer through `client_class`; the world notes when they were spawned."""
    backend = DiallingBackend(kind)
    original = backend.create

    def create(specs):
        runtimes = original(specs)
        backend.world.spawned = time.monotonic()
        for runtime in runtimes.values():
            runtime._fake_client = client_class(runtime)
        return runtimes

    backend.create = create
    return backend


def test_a_start_whose_link_never_comes_up_says_which_link_not_only_whose_trust():
    kind = FakeKind()
    net = Network(4, backend=backend_of(kind, NeverLinking), kind=kind, topology="ring", start_timeout=0.5)
    try:
        with pytest.raises(ExpectationFailed) as raised:
            net.start()
        assert raised.value.difference == "missing edges node2–node3"
    finally:
        net.close()


class SlowToStart(DiallingClient):
    """Answers RPC 0.2 s after it was spawned and trusts its neighbours 0.4 s after: each phase on
    its own is within a 0.3 s timeout, the two together are not."""

    def _since_spawn(self) -> float:
        return time.monotonic() - self.runtime.world.spawned

    def ready(self) -> bool:
        return self._since_spawn() >= 0.2 and super().ready()

    def trusted_identities(self) -> set[str]:
        return super().trusted_identities() if self._since_spawn() >= 0.4 else set()


def test_the_start_s_waits_share_one_start_timeout():
    """Each wait had a start_timeout of its own: 0.2 s to answer, then 0.2 s more to trust, passed a
    0.3 s timeout (and a tiny one could pass wherever the harness ran slower than the nodes)."""
    kind = FakeKind()
    net = Network(4, backend=backend_of(kind, SlowToStart), kind=kind, topology="ring", start_timeout=0.3)
    try:
        with pytest.raises((WaitTimeout, ExpectationFailed)):
            net.start()
    finally:
        net.close()
    net = Network(4, backend=DiallingBackend(kind), kind=kind, topology="ring", start_timeout=0.3)
    try:
        net.start()  # the same start, trusting at once, is within the timeout
    finally:
        net.close()
