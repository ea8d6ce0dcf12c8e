"""DockerBackend.lost against a scripted engine: what it says of a run's network taken away, and that it
asks the engine at most once per LOOK_EVERY however many waits ask."""

import threading
import time
from types import SimpleNamespace

import docker
import pytest

from fakenet.errors import WaitTimeout
from fakenet.harness.backends.docker import DockerBackend, DockerRuntime


class _Engine:
    def __init__(self):
        self.network: dict | None = {"Driver": "bridge", "Containers": {"c1": {}, "c2": {}}}
        self.looks = 0
        self.api = SimpleNamespace(inspect_network=self.inspect_network)

    def inspect_network(self, network_id):
        self.looks += 1
        if self.network is None:
            raise docker.errors.NotFound("network not found")
        return self.network


class _Container:
    def __init__(self, id, networks):
        self.id, self.status, self.networks = id, "running", networks
        self.attrs: dict = {}

    def reload(self):
        self.attrs = {"State": {"Status": self.status}, "NetworkSettings": {"Networks": dict.fromkeys(self.networks, {})}}


def _backend():
    engine = _Engine()
    backend = DockerBackend(SimpleNamespace(name="fakenet"), client=engine)
    backend.network, backend.network_name = SimpleNamespace(id="n1"), "fakenet-run1"
    backend.runtimes = {name: DockerRuntime(backend, None, container=_Container(cid, ["fakenet-run1"]), name=name)
                        for name, cid in (("node", "c1"), ("node2", "c2"))}
    backend.LOOK_EVERY = 0.0
    return engine, backend


def test_a_network_intact_is_no_news_and_a_node_a_step_stopped_is_not_missed():
    engine, backend = _backend()
    assert backend.lost() == []
    engine.network["Containers"].pop("c2")
    backend.runtimes["node2"].stopped_here = True  # a crash step: its endpoint goes with it
    assert backend.lost() == []


def test_an_endpoint_disconnected_and_a_network_removed_are_said_with_the_network_and_the_nodes():
    engine, backend = _backend()
    engine.network["Containers"].pop("c2")
    backend.runtimes["node2"].container.networks = []  # `docker network disconnect`
    (cut,) = backend.lost()
    assert cut.outside and cut.node == "network fakenet-run1" and "lost the endpoint of node2" in cut.how
    engine.network = None  # then `docker network rm`
    (removed,) = backend.lost()
    assert removed.sentence().startswith("network fakenet-run1 was removed (`docker network rm`) while node, node2 ran in it")


def test_a_container_that_exited_is_left_to_ended_not_said_as_a_network_loss():
    engine, backend = _backend()
    engine.network["Containers"].pop("c2")
    backend.runtimes["node2"].container.status = "exited"
    backend.runtimes["node2"].container.networks = []
    assert backend.lost() == []


def test_many_waits_share_one_engine_look():
    engine, backend = _backend()
    backend.LOOK_EVERY = 60.0
    for _ in range(50):
        backend.lost()
    assert engine.looks == 1


def test_a_fresh_look_is_asked_now():
    engine, backend = _backend()
    backend.LOOK_EVERY = 60.0
    backend.lost()
    backend.lost(fresh=True)
    assert engine.looks == 2


def test_an_engine_that_does_not_answer_is_no_news_and_the_wait_goes_on():
    """The SDK raises requests' ConnectionError (an OSError, not a DockerException) where the engine's socket
    does not answer (dockerd restarting with live-restore, its nodes still running): it escaped from every
    wait's look before its probe, ending a step whose nodes were answering."""
    import requests

    from fakenet.harness.fleet import Fleet
    from fakenet.harness.waits import wait_for

    engine, backend = _backend()

    def no_engine(*args):
        raise requests.exceptions.ConnectionError("('Connection aborted.', FileNotFoundError(2, 'No such file'))")
    engine.api.inspect_network = no_engine
    assert backend.lost() == [] and backend.lost(fresh=True) == []
    assert not backend.network_removed()
    fleet = Fleet.__new__(Fleet)  # only what gone() uses
    fleet.watch, fleet.starting = backend.lost, False
    answers = iter([False, True])
    assert wait_for(lambda: next(answers), bool, timeout=10, expected="node answers", gone=fleet.gone)[0] is True

    engine.api.inspect_network = lambda network_id: {"Driver": "bridge", "Containers": {"c1": {}}}
    backend.runtimes["node2"].container.reload = no_engine  # the container's own look fails the same way
    assert backend.lost(fresh=True) == []


class _HungEngine(_Engine):
    """An engine whose network inspect does not return until released (a dockerd stuck on a lock)."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def inspect_network(self, network_id):
        self.looks += 1
        self.release.wait(30)  # the SDK's own bound is 60 s
        return self.network


def _hung_backend():
    engine, backend = _backend()
    hung = _HungEngine()
    backend.client = hung
    return hung, backend


def test_a_wait_behind_a_hung_engine_ends_at_its_deadline_and_says_the_engine_did_not_answer():
    from fakenet.harness.fleet import Fleet
    from fakenet.harness.waits import wait_for

    engine, backend = _hung_backend()
    fleet = Fleet.__new__(Fleet)  # only what gone() uses
    fleet.watch, fleet.starting = backend.lost, False
    try:
        began = time.monotonic()
        with pytest.raises(WaitTimeout) as caught:
            wait_for(lambda: False, bool, timeout=1.0, expected="node answers", gone=fleet.gone)
        took = time.monotonic() - began
    finally:
        engine.release.set()
    assert took < 1.5, f"the wait overran its 1 s deadline by {took - 1:.1f}s"
    assert "engine: the engine did not answer whether the run's network still stands" in str(caught.value), caught.value
    assert engine.looks == 1, "one look at a time: the waits that came after did not ask the hung engine again"


def test_nodes_that_answer_behind_a_hung_engine_end_the_wait_at_once_after_one_bounded_look(monkeypatch):
    from fakenet.harness import fleet as fleet_module
    from fakenet.harness.fleet import Fleet
    from fakenet.harness.waits import wait_for

    monkeypatch.setattr(fleet_module, "ENGINE_PATIENCE", 0.2)
    engine, backend = _hung_backend()
    fleet = Fleet.__new__(Fleet)
    fleet.watch, fleet.starting = backend.lost, False
    try:
        began = time.monotonic()
        answers = iter([False, False, True])
        assert wait_for(lambda: next(answers), bool, timeout=60, expected="node answers", gone=fleet.gone)[0] is True
        took = time.monotonic() - began
        # concurrent waits (16 threads of a 64-node start) each hear at once that the engine is silent
        threads = [threading.Thread(target=lambda: wait_for(lambda: True, bool, timeout=60, expected="x", gone=fleet.gone))
                   for _ in range(16)]
        began_many = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took_many = time.monotonic() - began_many
    finally:
        engine.release.set()
    assert took < 1.0, took  # the patience (0.2 s) once, then polls that do not wait on the engine again
    assert took_many < 0.5, took_many
    assert engine.looks == 1
    # released: the look under way ends, and a fresh one asks the engine again
    wait_for(lambda: backend.lost(fresh=True), lambda found: found == [], timeout=10, expected="the engine answers")
    assert engine.looks == 2
