"""A docker run when someone else removed or killed part of it: gone is done at teardown; who ended a
node is said."""

from types import SimpleNamespace

import docker

from fakenet.harness.backends.docker import DockerBackend


class _GoneNetwork:
    name = "fakenet-gone"

    def disconnect(self, container, force=False):
        raise docker.errors.NotFound("network not found")

    def remove(self):
        raise docker.errors.NotFound("network not found")


def test_a_network_removed_by_someone_else_mid_run_closes_without_a_teardown_error():
    """`docker network rm` mid-run: the verdict said infrastructure, then close() raised NotFound and
    the run printed "teardown failed after the verdict" for a network that was already gone."""
    backend = DockerBackend(SimpleNamespace(name="fakenet"), client=SimpleNamespace())
    backend.network = _GoneNetwork()
    backend.close()  # raises NotFound without the fix


class _Container:
    def __init__(self, state: dict | None):
        self.state = state
        self.attrs: dict = {}

    def reload(self):
        if self.state is None:
            raise docker.errors.NotFound("no such container")
        self.attrs = {"State": self.state}


def _ending(state):
    from fakenet.harness.backends.docker import DockerRuntime

    backend = DockerBackend(SimpleNamespace(name="fakenet", outside_exits={}), client=SimpleNamespace())
    return DockerRuntime(backend, None, container=_Container(state), name="node3").ended()


def test_a_container_ended_under_the_run_says_who_ended_it():
    assert _ending({"Status": "running", "Running": True}) is None
    removed, killed = _ending(None), _ending({"Status": "exited", "ExitCode": 137})
    assert removed.outside and "container was removed" in removed.how
    assert killed.outside and killed.how == "was killed by SIGKILL"
    assert _ending({"Status": "exited", "ExitCode": 137, "OOMKilled": True}).how == "was killed by the OOM killer"
    crashed, segfault = _ending({"Status": "exited", "ExitCode": 1}), _ending({"Status": "exited", "ExitCode": 139})
    assert not crashed.outside and crashed.how == "exited with code 1"
    assert not segfault.outside and segfault.how == "was killed by SIGSEGV"


def test_a_container_the_harness_killed_itself_is_not_news():
    """A crash step's kill (exit 137) is the model's to know; a test that then fakes the model ("it came
    up") is wrong about the nodes, not failed by the engine."""
    from fakenet.harness.backends.docker import DockerRuntime

    backend = DockerBackend(SimpleNamespace(name="fakenet"), client=SimpleNamespace())
    runtime = DockerRuntime(backend, None, container=_Container({"Status": "exited", "ExitCode": 137}), name="node3")
    runtime.stopped_here = True
    assert runtime.ended() is None


def test_a_container_paused_by_someone_else_is_the_infrastructures_and_one_paused_by_a_step_is_not():
    from fakenet.harness.backends.docker import DockerRuntime

    backend = DockerBackend(SimpleNamespace(name="fakenet"), client=SimpleNamespace())
    container = _Container({"Status": "paused", "Running": True, "Paused": True})
    container.pause = lambda: None
    runtime = DockerRuntime(backend, None, container=container, name="node3")
    frozen = runtime.ended()  # `docker pause` from another shell: silent to every step, and not the node's doing
    assert frozen is not None and frozen.outside and "paused" in frozen.how
    runtime.pause()  # a pause step: the model knows
    assert runtime.ended() is None
