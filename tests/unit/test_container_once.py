"""run_once: a throwaway container's output, and the container removed with its anonymous volumes
whether its command succeeded or not (docker-py's `run(remove=True)` kept the volumes)."""

import docker.errors
import pytest

from fakenet.container_once import run_once


class Container:
    def __init__(self, status, out=b"", err=b""):
        self.status, self.out, self.err, self.removed = status, out, err, None

    def start(self):
        pass

    def wait(self):
        return {"StatusCode": self.status}

    def logs(self, stdout=True, stderr=True):
        return (self.out if stdout else b"") + (self.err if stderr else b"")

    def remove(self, **options):
        self.removed = options


class Client:
    def __init__(self, container):
        self.made, self.container = [], container
        self.containers = self

    def create(self, image, command, **options):
        self.made.append((image, command, options))
        return self.container


def test_the_output_is_stdout_and_the_container_goes_with_its_volumes():
    container = Container(0, out=b"3.11\n", err=b"a warning\n")
    client = Client(container)
    assert run_once(client, "img", ["python3", "-V"], network_disabled=True) == b"3.11\n"
    assert client.made == [("img", ["python3", "-V"], {"network_disabled": True})]
    assert container.removed == {"v": True, "force": True}


def test_a_failed_command_raises_with_its_stderr_and_still_removes_everything():
    container = Container(2, out=b"partial", err=b"RTNETLINK answers: Protocol not supported\n")
    with pytest.raises(docker.errors.ContainerError, match="Protocol not supported"):
        run_once(Client(container), "img", ["ip", "xfrm"])
    assert container.removed == {"v": True, "force": True}
