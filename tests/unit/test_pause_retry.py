"""A pause the engine refuses with runc's "unable to freeze" (its cgroup v1 freezer raced a process joining
the container: the health check's exec) is asked again to a deadline; past it, one line that says so and is
the infrastructure's. A suite run failed on `node4.pause()` with the engine's 500 (2026-12-07)."""

import json
import time
from types import SimpleNamespace

import docker
import pytest
import requests

from fakenet.harness.backends.docker import DockerBackend, DockerRuntime

FREEZE = ("Cannot pause container 3f2a9c1e: OCI runtime pause failed: unable to freeze: unknown")


def _api_error(status: int, reason: str, message: str) -> docker.errors.APIError:
    """The SDK's own error for an engine answer, made as the SDK makes it (its JSON `message`)."""
    response = requests.Response()
    response.status_code, response.reason = status, reason
    response.url = "http+docker://localhost/v1.41/containers/3f2a9c1e/pause"
    response._content = json.dumps({"message": message}).encode()
    try:
        docker.errors.create_api_error_from_http_exception(requests.exceptions.HTTPError(response=response))
    except docker.errors.APIError as exc:
        return exc
    raise AssertionError("no APIError made")


def unable_to_freeze() -> docker.errors.APIError:
    return _api_error(500, "Internal Server Error", FREEZE)


class _Container:
    """A container whose pause the engine refuses `refusals` times (None: forever) with `error()`."""

    def __init__(self, refusals: int | None, error=unable_to_freeze):
        self.refusals, self.error, self.calls, self.paused = refusals, error, 0, False
        self.id = "3f2a9c1e" * 8

    def pause(self):
        self.calls += 1
        if self.refusals is None or self.calls <= self.refusals:
            raise self.error()
        self.paused = True


def _runtime(container) -> DockerRuntime:
    backend = DockerBackend(SimpleNamespace(name="fakenet"), client=SimpleNamespace())
    return DockerRuntime(backend, None, container=container, name="node4")


def test_the_sdk_error_is_the_engines_answer_as_seen():
    error = unable_to_freeze()
    assert error.explanation == FREEZE and error.status_code == 500 and "500 Server Error" in str(error)


def test_a_pause_the_freezer_refuses_a_few_times_is_asked_again_until_it_is_paused():
    container = _Container(refusals=3)
    runtime = _runtime(container)
    runtime.pause()
    assert container.paused and container.calls == 4 and runtime.paused_here


def test_a_pause_refused_past_the_deadline_is_one_line_the_infrastructures(monkeypatch):
    from fakenet import engine_pause
    from fakenet.bundle import INFRASTRUCTURE
    from fakenet.bundle.verdict import side
    from fakenet.errors import ContainerError

    monkeypatch.setattr(engine_pause, "PATIENCE", 0.3)
    container = _Container(refusals=None)
    runtime = _runtime(container)
    began = time.monotonic()
    with pytest.raises(ContainerError) as raised:
        runtime.pause()
    took = time.monotonic() - began
    assert 0.3 <= took < 1.5, took
    error = raised.value
    message = str(error)
    assert "\n" not in message and message.startswith("the engine could not freeze node4"), message
    assert "cgroup v1 freezer raced a process joining" in message and "unable to freeze" in message, message
    assert f"{container.calls} tries" in message and container.calls > 2, (container.calls, message)
    assert error.node == "node4" and side(error, started=True) == INFRASTRUCTURE
    assert not runtime.paused_here  # still running, so another shell's pause of it later is news again


def test_another_refusal_is_not_asked_again():
    not_running = lambda: _api_error(409, "Conflict", "Container 3f2a9c1e is not running")  # noqa: E731
    container = _Container(refusals=None, error=not_running)
    with pytest.raises(docker.errors.APIError, match="is not running"):
        _runtime(container).pause()
    assert container.calls == 1


def test_the_socket_clients_refusal_is_asked_again_too():
    """`./fake pause` goes over the engine's unix socket (socket_client), whose refusal is engine_socket's."""
    from fakenet import engine_pause, engine_socket

    calls = []

    def pause():
        calls.append(1)
        if len(calls) < 3:
            raise engine_socket.Refused(500, FREEZE)

    assert engine_pause.freeze(pause, "node2") == 3
    with pytest.raises(engine_socket.Refused):
        engine_pause.freeze(lambda: (_ for _ in ()).throw(engine_socket.Refused(409, "is already paused")), "node2")


class _Listed:
    def __init__(self, service: str, project: str = "demo"):
        self.attrs = {"Id": f"{service}id" * 8, "Names": [f"/{project}-{service}-1"],
                      "Labels": {"com.docker.compose.project": project, "com.docker.compose.service": service,
                                 "com.docker.compose.oneoff": "False"}, "State": "running"}


class _Engine:
    """`./fake pause`'s engine: a project's containers, and a pause runc's freezer refuses `refusals[id]` times."""

    def __init__(self, services, refusals):
        self.listed, self.refusals, self.paused, self.filters = [_Listed(s) for s in services], refusals, [], None
        self.api = SimpleNamespace(pause=self._pause)
        self.containers = SimpleNamespace(list=self._list)

    def _list(self, all=False, sparse=False, filters=None):  # noqa: A002 - the SDK's
        self.filters = filters
        return self.listed

    def _pause(self, container_id):
        from fakenet import engine_socket

        service = next(c.attrs["Labels"]["com.docker.compose.service"] for c in self.listed if c.attrs["Id"] == container_id)
        if service in self.paused:
            raise engine_socket.Refused(409, f"Container {container_id} is already paused")
        left = self.refusals.get(service, 0)
        if left is None or left > 0:
            self.refusals[service] = None if left is None else left - 1
            raise engine_socket.Refused(500, FREEZE)
        self.paused.append(service)


def test_fake_pause_asks_again_where_the_freezer_lost_a_race(monkeypatch, capsys):
    from fakenet import cli

    engine = _Engine(["node1", "node2", "node3"], {"node3": 2})
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli._pause("demo", ["pause", "node3"]) == 0
    assert engine.paused == ["node3"]
    assert " Container demo-node3-1 Paused" in capsys.readouterr().err
    assert engine.filters == {"label": ["com.docker.compose.project=demo", "com.docker.compose.oneoff=False"]}
    again = _Engine(["node1", "node2", "node3"], {"node1": 1, "node2": 3})
    monkeypatch.setattr(cli, "_engine", lambda: again)
    assert cli._pause("demo", ["pause"]) == 0 and sorted(again.paused) == ["node1", "node2", "node3"]
    assert cli._pause("demo", ["pause", "node1"]) == 1  # compose's answer too: the engine's, in a line
    assert "fake pause: demo-node1-1: Container node1id" in capsys.readouterr().err


def test_fake_pause_past_the_deadline_says_why_in_a_line(monkeypatch, capsys):
    from fakenet import cli, engine_pause

    monkeypatch.setattr(engine_pause, "PATIENCE", 0.2)
    engine = _Engine(["node1", "node2"], {"node2": None})
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli._pause("demo", ["pause"]) == 1
    assert engine.paused == ["node1"]
    err = capsys.readouterr().err
    assert "fake pause: the engine could not freeze demo-node2-1" in err and "cgroup v1 freezer raced" in err, err
    assert "Traceback" not in err


def test_fake_pause_with_no_node_running_says_so_and_fails(monkeypatch, capsys):
    """A project whose nodes are all stopped paused nothing and exited 0 without a word."""
    from fakenet import cli

    monkeypatch.setattr(cli, "_engine", lambda: _Engine([], {}))
    assert cli._pause("demo", ["pause"]) == 1
    assert capsys.readouterr().err == "fake pause: no node of project 'demo' is running (nothing to pause)\n"
