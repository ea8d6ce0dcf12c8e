"""An in-memory backend and kind: Network's bookkeeping (fault stacking, link-rule merging, the
model's events) unit-tested without processes. The fake world connects two nodes when the
topology links them, both are up, and neither node's filter (set by identity) cuts the other."""

from __future__ import annotations

import itertools

from fakenet.harness.backends.base import Backend, NodeRuntime, node_filter
from fakenet.kinds.base import Launch, NodeClient, NodeKind

_ids = itertools.count(1)


class World:
    def __init__(self):
        self.nodes: dict[str, FakeRuntime] = {}
        self.peers_of: dict[str, tuple[str, ...]] = {}

    def connected(self, u: str, v: str) -> bool:
        a, b = self.nodes[u], self.nodes[v]
        return a.up and b.up and v in self.peers_of[u] and b.identity not in a.blocked and a.identity not in b.blocked


class FakeClient(NodeClient):
    def __init__(self, runtime: FakeRuntime):
        super().__init__(rpc=None)
        self.runtime = runtime

    def ready(self) -> bool:
        return self.runtime.up

    def identity(self) -> str:
        return self.runtime.identity

    def peer_identities(self) -> set[str]:
        world = self.runtime.world
        return {world.nodes[v].identity for v in world.peers_of[self.runtime.name] if world.connected(self.runtime.name, v)}

    def set_links(self, blocked, loss, delay, seed) -> str:
        self.runtime.blocked, self.runtime.shaped = set(blocked), (dict(loss), dict(delay), seed)
        return "fake filter"


class FakeKind(NodeKind):
    name = "fake"
    capabilities = frozenset({"identity"})
    ports = {"rpc": 1}
    identity_file = "id"
    link_control = True

    def environment(self, launch: Launch) -> dict[str, str]:
        return {}

    def client(self, rpc):
        raise AssertionError("the fake runtime builds its own client")


class FakeRuntime(NodeRuntime):
    def __init__(self, world: World, kind: FakeKind, name: str):
        self.world, self.kind, self.name = world, kind, name
        self.up, self.identity_bytes, self.identity = False, None, ""
        self.blocked: set[str] = set()
        self.shaped: tuple = ({}, {}, 0)
        self.calls: list[str] = []
        self._fake_client = FakeClient(self)

    @property
    def rpc(self):
        return None

    @property
    def client(self):
        return self._fake_client

    def url(self, role: str) -> str:
        return f"fake://{self.name}/{role}"

    def start(self):
        self.calls.append("start")
        if self.identity_bytes is None:
            self.identity_bytes = f"id-{next(_ids)}".encode()
        self.identity, self.up, self.blocked = self.identity_bytes.decode(), True, set()

    def kill(self):
        self.calls.append("kill")
        self.up = False

    stop = kill

    def pause(self):
        self.calls.append("pause")
        self.up = False

    def unpause(self):
        self.calls.append("unpause")
        self.up = True

    def logs(self, tail=20):
        return []

    def read_identity(self):
        return self.identity_bytes

    def write_identity(self, data):
        self.identity_bytes = data

    def set_links(self, rules, identities):
        return node_filter(self, rules, identities)


class FakeBackend(Backend):
    name = "fake"

    def __init__(self, kind: FakeKind):
        self.kind, self.world, self.closed = kind, World(), False

    def create(self, specs):
        for spec in specs:
            self.world.nodes[spec.name] = FakeRuntime(self.world, self.kind, spec.name)
            self.world.peers_of[spec.name] = spec.peers
        return dict(self.world.nodes)

    def close(self):
        self.closed = True
