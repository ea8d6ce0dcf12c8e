"""Issue 28: `./fake up` asks a local engine its questions over the unix socket (engine_socket), without
importing the docker SDK, and asks the SDK whatever the socket does not answer (engine_reads)."""

import json
import os
import socket
import subprocess
import sys
import threading
from types import SimpleNamespace

import docker.errors
import pytest

from fakenet import engine_reads, engine_socket
from fakenet.errors import ContainerError


class Engine:
    """A unix socket answering each request with the next canned response, then closing; the requests seen."""

    def __init__(self, path, responses):
        self.requests, self.responses = [], list(responses)
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen(8)
        self.path = str(path)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.responses:
            connection, _ = self.server.accept()
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(4096)
                self.requests.append(request.decode().split("\r\n")[0])
                connection.sendall(self.responses.pop(0))


def response(status, body=b"", **headers):
    head = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.0 {status}\r\n{head}\r\n".encode() + body


def test_answers_json_none_for_a_404_and_quotes_the_path(tmp_path):
    body = json.dumps({"Id": "sha256:1", "Config": {"Labels": {"io.fakenet.image": "node"}}}).encode()
    engine = Engine(tmp_path / "e.sock", [response("200 OK", body, Content_Length=len(body)),
                                          response("404 Not Found", b'{"message": "no such image"}')])
    client = engine_socket.EngineSocket(engine.path, timeout=5)
    assert client.get("/images/fakenet-node:abc/json") == {"Id": "sha256:1", "Config": {"Labels": {"io.fakenet.image": "node"}}}
    assert client.get("/containers/json", all=1, filters='{"label": ["a=b"]}') is None
    assert engine.requests == ["GET /images/fakenet-node:abc/json HTTP/1.0",
                               "GET /containers/json?all=1&filters=%7B%22label%22%3A+%5B%22a%3Db%22%5D%7D HTTP/1.0"]


@pytest.mark.parametrize("reply", [
    response("500 Internal Server Error", b'{"message": "boom"}'),
    response("200 OK", b'{"Id": "sha2', Content_Length=40),  # cut short
    response("200 OK", b"5\r\n{}\r\n0\r\n\r\n", Transfer_Encoding="chunked"),
    response("200 OK", b"<html>"),
    b"garbage",
])
def test_anything_else_is_unanswered(tmp_path, reply):
    engine = Engine(tmp_path / "e.sock", [reply])
    with pytest.raises(engine_socket.Unanswered):
        engine_socket.EngineSocket(engine.path, timeout=5).get("/info")


def test_an_engine_that_does_not_answer_in_time_is_an_error_not_asked_again(tmp_path):
    silent = socket.socket(socket.AF_UNIX)
    silent.bind(str(tmp_path / "e.sock"))
    silent.listen(1)  # accepted by the kernel, never answered
    with pytest.raises(ContainerError, match="did not answer GET /info within"):
        engine_socket.EngineSocket(str(tmp_path / "e.sock"), timeout=0.2).get("/info")


def test_no_engine_is_unanswered(tmp_path):
    with pytest.raises(engine_socket.Unanswered):
        engine_socket.EngineSocket(str(tmp_path / "absent.sock")).get("/info")


@pytest.mark.parametrize("host, path", [(None, "/var/run/docker.sock"), ("unix:///run/user/1/docker.sock", "/run/user/1/docker.sock"),
                                        ("tcp://10.0.0.1:2376", None), ("ssh://me@h2", None)])
def test_the_socket_only_where_the_sdk_would_use_one(monkeypatch, host, path):
    if host is None:
        monkeypatch.delenv("DOCKER_HOST", raising=False)
    else:
        monkeypatch.setenv("DOCKER_HOST", host)
    assert engine_socket.local_path() == path
    made = []
    reads = engine_reads.answering(lambda: made.append(1) or SimpleNamespace(api=SimpleNamespace(base_url="x")))
    assert isinstance(reads, engine_reads.SocketReads if path else engine_reads.SdkReads)
    assert made == ([] if path else [1]), "the SDK's client only where the socket is not used"


def test_a_question_the_socket_does_not_answer_is_asked_through_the_sdk(tmp_path, monkeypatch):
    engine = Engine(tmp_path / "e.sock", [response("500 Internal Server Error"), response("500 Internal Server Error")])
    monkeypatch.setenv("DOCKER_HOST", f"unix://{engine.path}")

    def get(ref):
        if ref == "absent:1":
            raise docker.errors.ImageNotFound(ref)
        return SimpleNamespace(id="sha256:sdk", labels=None)

    sdk = SimpleNamespace(images=SimpleNamespace(get=get), info=lambda: {"Driver": "overlay2"})
    reads = engine_reads.answering(lambda: sdk)
    assert reads.image("present:1") == engine_reads.Image("sha256:sdk", {})
    assert reads.image("absent:1") is None
    assert engine.requests == ["GET /images/present:1/json HTTP/1.0", "GET /images/absent:1/json HTTP/1.0"]


# Imported at first need, not at every `./fake` start (issue 28), with the CPU each costs there: the SDK
# with requests (~150 ms), http.client (~15 ms); compileall when no source changed (bytecode's stamp, ~13 ms
# with its check); traceback for a bug only (~3 ms); difflib for a mistyped word only (~1.4 ms); secrets
# (hmac), whose token_hex is os.urandom's (~1 ms).
NOT_AT_START = ("docker", "requests", "urllib3", "http.client", "compileall", "traceback", "difflib", "secrets", "hmac")


def test_the_fake_commands_modules_import_neither_the_sdk_nor_requests():
    """What `up` runs before compose, as `python -m fakenet` runs it: the SDK (with requests) is imported
    while compose runs, and none of NOT_AT_START before."""
    script = ("import sys\n"
              "from fakenet import bytecode, lazy_ssh\n"
              "bytecode.ensure()\n"
              "lazy_ssh.install()\n"
              "import fakenet.cli, fakenet.image, fakenet.harness.backends.subnets\n"
              "fakenet.cli.kinds.get('fakenet')\n"
              f"print(sorted(m for m in {NOT_AT_START!r} if m in sys.modules))\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # as this project's machines run `./fake`
    subprocess.run([sys.executable, "-c", "from fakenet import bytecode; bytecode.ensure()"], env=env, timeout=120)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


USER_SOCKET = "/run/user/1/docker.sock"


@pytest.mark.parametrize("how, host, path", [("DOCKER_CONTEXT", "tcp://10.0.0.1:2375", None),
                                             ("currentContext", "tcp://10.0.0.1:2375", None),
                                             ("currentContext", f"unix://{USER_SOCKET}", USER_SOCKET)])
def test_a_docker_context_in_use_is_the_sdks_to_follow_not_the_default_socket(tmp_path, monkeypatch, how, host, path):
    """Where DOCKER_HOST is unset the SDK (and compose) use the Docker CLI's current context: `docker
    context use`, or DOCKER_CONTEXT. The default socket would then be another engine than the one compose
    creates the project on: `up` would ask it for the image and start its containers."""
    import docker

    config = tmp_path / "docker"
    meta = config / "contexts" / "meta" / __import__("hashlib").sha256(b"sc-remote").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": "sc-remote", "Metadata": {},
                                                "Endpoints": {"docker": {"Host": host}}}))
    (config / "config.json").write_text(json.dumps({"currentContext": "sc-remote"} if how == "currentContext" else {}))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    if how == "DOCKER_CONTEXT":
        monkeypatch.setenv("DOCKER_CONTEXT", "sc-remote")
    else:
        monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    sdk_url = docker.from_env(version="1.41").api.base_url
    expected_url = "http://10.0.0.1:2375" if host.startswith("tcp") else "http+docker://localhost"
    assert (sdk_url, engine_socket.local_path()) == (expected_url, path)


@pytest.mark.parametrize("context", ["default", ""])
def test_the_default_context_is_the_default_socket(tmp_path, monkeypatch, context):
    config = tmp_path / "docker"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"currentContext": context} if context else {"auths": {}}))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("DOCKER_CONTEXT", context)
    assert engine_socket.local_path() == "/var/run/docker.sock"


@pytest.mark.parametrize("host", ["unix://var/run/docker.sock", "unix://Var/run/docker.sock"])
def test_a_unix_url_without_its_third_slash_is_never_a_socket_under_the_working_directory(tmp_path, monkeypatch, host):
    """The SDK reads unix://var/run/docker.sock as /var/run/docker.sock (its first part lower-cased, as a
    host name); a relative path here would reach whatever socket the working directory has there."""
    (tmp_path / "var" / "run").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", host)
    assert engine_socket.local_path() in (None, "/var/run/docker.sock")
