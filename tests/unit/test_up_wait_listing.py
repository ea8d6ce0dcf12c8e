"""What `up`'s wait holds of the containers: the nodes' own answers decide, not Docker's health status,
and a node that stops answering has the kept listing checked against the engine (one sparse list),
while a wait whose nodes all answer asks the engine nothing."""

import itertools
from types import SimpleNamespace

from fakenet import netstatus

LABEL = "com.docker.compose.service"


def inspected(name, status="running", health="healthy", host_port=33000, cid=None):
    """A container as an inspect gives it."""
    return SimpleNamespace(id=cid or f"{name}-id", name=f"p-{name}-1", status=status, labels={LABEL: name},
                           attrs={"State": {"Status": status, "Health": {"Status": health}},
                                  "NetworkSettings": {"Networks": {"p2p": {"IPAddress": f"10.0.0.{len(name)}"}},
                                                      "Ports": {"6433/tcp": [{"HostIp": "127.0.0.1",
                                                                              "HostPort": str(host_port)}]}}})


def as_sparse(container):
    """The same container as a sparse list gives it: State a string, ports as a list."""
    ports = [{"IP": b["HostIp"], "PrivatePort": int(port.split("/")[0]), "PublicPort": int(b["HostPort"]),
              "Type": "tcp"} for port, bindings in container.attrs["NetworkSettings"]["Ports"].items() for b in bindings]
    ports.append({"PrivatePort": 4011, "Type": "tcp"})  # exposed, not published
    return SimpleNamespace(id=container.id, status=container.status,
                           attrs={"Id": container.id, "State": container.status, "Ports": ports})


class Engine:
    """The project's containers as the engine has them now; every list call recorded."""

    def __init__(self, now):
        self.now, self.calls = now, []
        self.containers = SimpleNamespace(list=self.list)

    def list(self, all=False, sparse=False, filters=None, ignore_removed=False):  # noqa: A002 - the SDK's names
        self.calls.append("sparse" if sparse else "inspected")
        return [as_sparse(c) for c in self.now] if sparse else list(self.now)


def settled(engine, count):
    listing = netstatus._Listing(engine, "p", count)
    assert len(listing.found()) == count and engine.calls == ["inspected"]
    engine.calls.clear()
    return listing


def test_a_kept_listing_costs_no_engine_call_while_every_node_answers():
    engine = Engine([inspected("node"), inspected("node2")])
    listing = settled(engine, 2)
    for _ in range(5):
        listing.found()
    assert engine.calls == []


def test_a_doubted_listing_is_kept_when_one_sparse_list_agrees_with_it():
    engine = Engine([inspected("node"), inspected("node2")])
    listing = settled(engine, 2)
    kept = listing.found()
    listing.doubt()
    assert listing.found() is kept and engine.calls == ["sparse"]
    listing.found()
    assert engine.calls == ["sparse"], "doubt is for one look"


def test_a_container_paused_restarted_or_recreated_since_it_was_listed_is_listed_afresh():
    before = [inspected("node"), inspected("node2")]
    for now in ([before[0], inspected("node2", status="paused")],  # `docker pause`
                [before[0], inspected("node2", host_port=34000)],  # a restart: same id, another host port
                [before[0], inspected("node2", cid="node2-new")]):  # compose recreated it
        engine = Engine(before)
        listing = settled(engine, 2)
        engine.now = now
        listing.doubt()
        assert listing.found() == now and engine.calls == ["sparse", "inspected"]


def rounds(engine, answers):
    """The wait's rounds over `engine`'s containers, each node giving its answers (a NodeStatus's fields
    after the name) in turn; a clock a second further on at each look, so every observe() is due."""
    def probe_listed(kind, found, pool=None, until=None):
        return [netstatus.NodeStatus(c.labels[LABEL], *answers[c.labels[LABEL]].pop(0)) for c in found]

    listing, ticks = netstatus._Listing(engine, "p", len(engine.now)), itertools.count()
    return netstatus._Rounds(listing, None, len(engine.now), pool=None, clock=lambda: float(next(ticks))), probe_listed


def test_a_node_docker_calls_unhealthy_passes_once_it_answers_meshed(monkeypatch):
    """Right after an unpause Docker says "unhealthy" until its next check (10 s); the node answers."""
    engine = Engine([inspected("node"), inspected("node2", health="unhealthy")])
    meshed = ("running", "id", 0, 1)
    unhealthy = ("running/unhealthy", "id", 0, 1)  # as probe shows Docker's verdict of failure
    watched, probe_listed = rounds(engine, {"node": [meshed, meshed], "node2": [unhealthy, unhealthy]})
    monkeypatch.setattr(netstatus, "probe_listed", probe_listed)
    rows, whole = watched.observe()
    assert whole and netstatus._problems(rows, 2) == []


def test_a_round_where_a_node_does_not_answer_has_the_next_look_at_the_engine(monkeypatch):
    engine = Engine([inspected("node"), inspected("node2")])
    refused = ("running/healthy", "", None, None, (), "not answering yet: connection refused")
    meshed = ("running/healthy", "id", 0, 1)
    watched, probe_listed = rounds(engine, {"node": [meshed, meshed], "node2": [refused, meshed, meshed]})
    monkeypatch.setattr(netstatus, "probe_listed", probe_listed)
    rows, whole = watched.observe()
    assert not whole and engine.calls == ["inspected"]
    rows, whole = watched.observe()
    assert whole and netstatus._problems(rows, 2) == []
    assert engine.calls == ["inspected", "sparse"], "one sparse list after the round node2 did not answer"
