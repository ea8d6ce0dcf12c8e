"""DockerBackend.lost against a scripted engine: what it says of a run's network taken away, and that it
asks the engine at most once per LOOK_EVERY however many waits ask."""

from types import SimpleNamespace

import docker

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
