"""Issue 28: after compose, `./fake up -d` starts the containers, follows their creates and lists them
over the engine's unix socket (engine_socket's POST and stream, socket_client), without the docker SDK
or requests; whatever the socket does not answer goes through the SDK."""

import json
import socket
import subprocess
import sys
import threading
import time
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from fakenet import compose_start, engine_reads, engine_socket, socket_client
from fakenet.errors import ContainerError
from fakenet.harness.waits import wait_for
from support import raw_servers


class Engine:
    """A fake engine on a unix socket: `routes` maps "METHOD /path" (no query) to a function of the query
    string giving (status, body) or, for a stream, a list of byte chunks to send (an Event among them: sent
    on once the test sets it), then holding the connection."""

    def __init__(self, path, routes):
        self.routes, self.requests, self.path = routes, [], str(path)
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(self.path)
        self.server.listen(16)
        self.released = threading.Event()
        raw_servers.serve(self.server, lambda connection: self._answer(connection))

    def _answer(self, connection):
        with connection:
            request = raw_servers.read_head(connection)
            method, target, _ = request.decode().split("\r\n")[0].split(" ")
            self.requests.append(f"{method} {target}")
            path, _, query = target.partition("?")
            head, _, tail = path.rpartition("/")
            route = self.routes.get(f"{method} {path}") or self.routes.get(f"{method} {head.rpartition('/')[0]}/*/{tail}")
            answer = route(query) if route else (404, b'{"message": "no such route"}')
            if isinstance(answer, list):  # a stream: the head, the chunks, then held open until released
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
                for chunk in answer:
                    if isinstance(chunk, threading.Event):
                        chunk.wait(5)
                    else:
                        connection.sendall(chunk)
                self.released.wait(30)
                return
            status, body = answer
            connection.sendall(f"HTTP/1.0 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)


def container(name, state="created", project="p"):
    return {"Id": f"{name}-id" + "0" * 12, "Name": f"/{project}-{name}-1", "State": {"Status": state},
            "Config": {"Labels": {"com.docker.compose.service": name, "com.docker.compose.project": project}}}


def test_a_post_says_done_or_nothing_to_do_and_a_refusal_carries_the_engines_words(tmp_path):
    answers = iter([(204, b""), (304, b""), (404, b'{"message": "No such container: x"}'),
                    (500, b'{"message": "driver failed"}'), (500, b"<html>")])
    engine = Engine(tmp_path / "e.sock", {"POST /containers/*/start": lambda query: next(answers)})
    client = engine_socket.EngineSocket(engine.path, timeout=5)
    assert client.post("/containers/a/start") == 204
    assert client.post("/containers/a/start") == 304, "already running: nothing to do, as the SDK has it"
    with pytest.raises(engine_socket.Refused) as gone:
        client.post("/containers/a/start")
    assert gone.value.status_code == 404 and gone.value.explanation == "No such container: x"
    with pytest.raises(engine_socket.Refused, match="driver failed"):
        client.post("/containers/a/start")
    with pytest.raises(engine_socket.Unanswered):
        client.post("/containers/a/start")


def test_a_stream_yields_each_object_as_it_comes_and_ends_when_closed_from_another_thread(tmp_path):
    first, second = json.dumps({"id": "a", "Action": "create"}), json.dumps({"id": "b", "Action": "create"})
    # The rest of the second object is sent only once the first has been read: it spans two reads.
    first_read = threading.Event()
    chunks = [(first + "\n" + second[:5]).encode(), first_read, (second[5:] + "\n").encode()]
    engine = Engine(tmp_path / "e.sock", {"GET /events": lambda query: chunks})
    stream = engine_socket.EngineSocket(engine.path, timeout=5).stream("/events", since="1.5")
    seen, ended = [], threading.Event()

    def read():
        seen.extend(stream)
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    wait_for(lambda: len(seen), lambda count: count >= 1, timeout=5, expected="the stream's first event read")
    assert [event["id"] for event in seen] == ["a"], "a whole object at once, the part of the next one held back"
    first_read.set()
    wait_for(lambda: len(seen), lambda count: count >= 2, timeout=5, expected="the stream's second event read")
    assert [event["id"] for event in seen] == ["a", "b"], "an object split over two reads put together"
    assert not ended.is_set(), "the engine holds the stream open: the reader waits for more"
    stream.close()
    assert ended.wait(5), "close() from another thread ends the reader's wait"
    assert engine.requests == ["GET /events?since=1.5"]


def test_a_stream_the_engine_refuses_is_unanswered(tmp_path):
    engine = Engine(tmp_path / "e.sock", {"GET /events": lambda query: (500, b'{"message": "boom"}')})
    with pytest.raises(engine_socket.Unanswered):
        engine_socket.EngineSocket(engine.path, timeout=5).stream("/events")


def test_the_listing_sends_the_sdks_filters_and_inspects_each_unless_sparse(tmp_path):
    listed = [container("node"), container("node2", "running")]
    queries = []
    engine = Engine(tmp_path / "e.sock", {
        "GET /containers/json": lambda query: queries.append(query) or (200, json.dumps(listed).encode()),
        "GET /containers/*/json": lambda query: (200, json.dumps(listed[1]).encode()),
    })
    client = socket_client.SocketClient(engine_socket.EngineSocket(engine.path, timeout=5), sdk=None)
    sparse = client.containers.list(all=True, sparse=True, filters={"label": ["a=b", "c=d"]})
    assert [c.id for c in sparse] == [listed[0]["Id"], listed[1]["Id"]] and [c.status for c in sparse] == ["created", "running"]
    from urllib.parse import parse_qs

    assert json.loads(parse_qs(queries[0])["filters"][0]) == {"label": ["a=b", "c=d"]} and parse_qs(queries[0])["all"] == ["1"]
    inspected = client.containers.list(all=True, ignore_removed=True, filters={"label": "com.docker.compose.project=p"})
    assert json.loads(parse_qs(queries[1])["filters"][0]) == {"label": ["com.docker.compose.project=p"]}, \
        "a single value becomes a list, as docker.utils.convert_filters makes it"
    assert [c.name for c in inspected] == ["p-node2-1", "p-node2-1"] and inspected[0].labels["com.docker.compose.service"] == "node2"
    assert sum(r.startswith("GET /containers/node") for r in engine.requests) == 2, "one inspect per listed container"


def test_what_the_socket_does_not_answer_goes_through_the_sdk(tmp_path):
    engine = Engine(tmp_path / "e.sock", {"POST /containers/*/start": lambda query: (500, b"not json"),
                                          "GET /containers/json": lambda query: (500, b"")})
    asked = []
    sdk = SimpleNamespace(api=SimpleNamespace(start=lambda cid: asked.append(("start", cid))),
                          containers=SimpleNamespace(list=lambda **options: asked.append(("list", options)) or ["sdk's"]),
                          events=lambda **options: asked.append(("events", options)) or iter(()))
    client = socket_client.SocketClient(engine_socket.EngineSocket(engine.path, timeout=5), sdk=lambda: sdk)
    client.api.start("abc")
    assert client.containers.list(all=True, sparse=True) == ["sdk's"]
    client.events(since="1.0", filters={"type": "container"})
    assert [a[0] for a in asked] == ["start", "list", "events"]
    assert asked[0] == ("start", "abc"), "a start the socket did not confirm is asked again: the engine says 304 if done"


def test_a_refused_start_over_the_socket_names_the_service_and_a_gone_one_is_skipped_only_when_allowed(tmp_path):
    answers = {"node-gone": (404, b'{"message": "No such container"}'),
               "node3-id": (500, b'{"message": "driver failed programming external connectivity"}')}
    engine = Engine(tmp_path / "e.sock", {"POST /containers/*/start": None})
    engine.routes["POST /containers/*/start"] = lambda query: answers[engine.requests[-1].split("/")[2]]
    client = socket_client.SocketClient(engine_socket.EngineSocket(engine.path, timeout=5), sdk=None)
    assert compose_start._start(client, "node-gone", "node", missing_ok=True) is None
    with pytest.raises(ContainerError, match="did not start node .*it is gone"):
        compose_start._start(client, "node-gone", "node")
    with pytest.raises(ContainerError, match="did not start node3 .*driver failed"):
        compose_start._start(client, "node3-id", "node3")


def test_a_new_projects_containers_start_as_their_creates_stream_over_the_socket(tmp_path):
    created = [json.dumps({"id": f"{name}-id", "Action": "create",
                           "Actor": {"Attributes": {"com.docker.compose.service": name}}}).encode() + b"\n"
               for name in ("node", "node2")]
    started, listed = [], [[], [container("node", "running"), container("node2", "running")]]
    engine = Engine(tmp_path / "e.sock", {
        "GET /containers/json": lambda query: (200, json.dumps(listed.pop(0)).encode()),
        "GET /events": lambda query: created,
        "POST /containers/*/start": lambda query: started.append(time.monotonic()) or (204, b""),
    })
    socket_path = engine_socket.EngineSocket(engine.path, timeout=5)
    starter = compose_start.AsCreated(engine_reads.SocketReads(socket_path, client=None), "p")
    starter.watch(socket_client.SocketClient(socket_path, sdk=None))
    # compose still running: nothing finished, each started from its create event, before finish()
    wait_for(lambda: len(started), lambda count: count == 2, timeout=5, expected="both containers started as created")
    finishing = time.monotonic()
    assert sorted(starter.finish()) == ["node", "node2"]
    assert time.monotonic() - finishing < 5, "finish() ends the stream the engine holds open (30 s here)"
    events = next(r for r in engine.requests if r.startswith("GET /events"))
    assert "since=" in events and "create" in events
    engine.released.set()


def test_up_after_compose_imports_neither_the_sdk_nor_requests_on_a_local_engine():
    """The client of the starts and the wait, the wait's modules and its node client: none of them."""
    script = ("import sys\n"
              "from fakenet import lazy_ssh\n"
              "lazy_ssh.install()\n"
              "from fakenet import cli, netstatus\n"
              "from fakenet.harness import rpc, http_once\n"
              "cli._import_for_the_wait()\n"
              "cli._engine()\n"
              "rpc.RpcClient('http://127.0.0.1:1/', 'u', 'p', transport=http_once.Once('u', 'p'))\n"
              "print(sorted(m for m in ('docker', 'requests', 'urllib3', 'http.client') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "DOCKER_HOST": "unix:///var/run/docker.sock"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("host, socket_used", [(None, True), ("unix:///run/user/1/docker.sock", True),
                                               ("tcp://10.0.0.1:2376", False), ("ssh://me@h2", False)])
def test_the_socket_client_only_where_the_sdk_would_use_a_unix_socket(monkeypatch, host, socket_used):
    if host is None:
        monkeypatch.delenv("DOCKER_HOST", raising=False)
    else:
        monkeypatch.setenv("DOCKER_HOST", host)
    sdk = SimpleNamespace(api=SimpleNamespace(base_url="ssh"))
    client = socket_client.answering(lambda: sdk)
    assert isinstance(client, socket_client.SocketClient) if socket_used else client is sdk


def test_a_listed_containers_exec_and_logs_go_through_the_sdk_and_a_removed_ones_reload_raises_its_error(tmp_path):
    engine = Engine(tmp_path / "e.sock", {"GET /containers/*/json": lambda query: (404, b'{"message": "gone"}')})

    class NotFound(Exception):
        pass

    def get(container_id):
        if container_id == "gone":
            raise NotFound(container_id)
        return SimpleNamespace(exec_run=lambda command, demux: (0, b"ran " + command[0].encode()),
                               logs=lambda tail: f"last {tail}".encode())

    sdk = SimpleNamespace(containers=SimpleNamespace(get=get))
    client = socket_client.SocketClient(engine_socket.EngineSocket(engine.path, timeout=5), sdk=lambda: sdk)
    listed = socket_client.SocketContainer(container("node"), client)
    assert listed.exec_run(["cli"], demux=False) == (0, b"ran cli") and listed.logs(tail=12) == b"last 12"
    with pytest.raises(NotFound):
        socket_client.SocketContainer({**container("node"), "Id": "gone"}, client).reload()


def test_a_projects_kind_is_read_over_the_socket_and_fakenet_where_no_engine_answers(tmp_path, monkeypatch):
    from fakenet import compose

    litecoin = container("node", "running")
    litecoin["Config"]["Labels"]["io.fakenet.kind"] = "litecoin"
    engine = Engine(tmp_path / "e.sock", {"GET /containers/json": lambda query: (200, json.dumps([litecoin]).encode()),
                                          "GET /containers/*/json": lambda query: (200, json.dumps(litecoin).encode())})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{engine.path}")
    monkeypatch.setattr(compose, "_sdk", lambda: pytest.fail("the SDK is not needed for the socket's answer"))
    assert compose.kind_of("p") == "litecoin"
    assert engine.requests[0].startswith("GET /containers/json?all=1&filters=")

    import docker.errors

    def no_engine():
        raise docker.errors.DockerException("Error while fetching server API version")

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")
    monkeypatch.setattr(compose, "_sdk", no_engine)
    assert compose.kind_of("p") == "fakenet", "compose will say what is wrong with the engine"


def test_status_imports_neither_the_sdk_nor_requests_on_a_local_engine(tmp_path):
    """`./fake status`: the project listed once over the socket (its kind, then its nodes), no SDK."""
    engine = Engine(tmp_path / "e.sock", {"GET /containers/json": lambda query: (200, b"[]")})
    script = ("import sys\n"
              "from fakenet import cli\n"
              "code = cli.main(['-p', 'upfinish-none', 'status'])\n"
              "print(code, sorted(m for m in ('docker', 'requests', 'urllib3', 'http.client') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "DOCKER_HOST": f"unix://{engine.path}"})
    assert "no network 'upfinish-none' is running" in done.stderr, done.stderr
    assert done.stdout.strip() == "1 []"
    # The project listed once; then, as it has no containers, the fakenet projects that do, to name them.
    assert [r.split("?")[0] for r in engine.requests] == ["GET /containers/json"] * 2, "listed once, then the others"
    assert "upfinish-none" in unquote(engine.requests[0]) and "upfinish-none" not in unquote(engine.requests[1])
