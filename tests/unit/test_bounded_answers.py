"""A peer's answer is evidence: bound its size and the work it can cause (http_reply). `./fake up`'s wait
asks whatever listens at a node's address (http_once), and `up` reads the engine's socket (engine_socket):
an endless body is cut at the limit with a clear error, not held in memory; a body dripped a byte at a
time ends at the timeout, not when the peer tires; a body that says its length ends there."""

import json
import socket
import time
import tracemalloc

import pytest

from fakenet import engine_socket, http_reply
from fakenet.errors import ContainerError, RpcError
from fakenet.harness import http_once, rpc
from support import raw_servers

STOP_AFTER = 5.0  # seconds a misbehaving server goes on before it gives up: a reader without the bound fails, not hangs


class Peer:
    """A server on TCP or a unix socket that reads the request's head, then runs `behave(connection)`."""

    def __init__(self, behave, unix_path=None):
        self.behave = behave
        if unix_path:
            self.server = socket.socket(socket.AF_UNIX)
            self.server.bind(str(unix_path))
            self.server.listen(8)
            self.path = str(unix_path)
        else:
            self.server = socket.create_server(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/"
        raw_servers.serve(self.server, lambda connection: self._one(connection))

    def _one(self, connection):
        with connection:
            raw_servers.read_head(connection)
            try:
                self.behave(connection)
            except OSError:  # the reader hung up: what a bounded reader does
                pass


def endless(head=b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n", total=None):
    """Sends `head`, then bytes without end (up to `total`, then closes: an unbounded reader then fails)."""
    def behave(connection):
        connection.sendall(head)
        sent, block = 0, b"x" * 65536
        while total is None or sent < total:
            connection.sendall(block)
            sent += len(block)
    return behave


def drip(head=b"HTTP/1.0 200 OK\r\n\r\n", pause=0.05, lasting=STOP_AFTER):
    """Sends `head`, then one byte each `pause` for `lasting` seconds."""
    def behave(connection):
        connection.sendall(head)
        stop = time.monotonic() + lasting
        while time.monotonic() < stop:
            connection.sendall(b" ")
            time.sleep(pause)
    return behave


def held_open(body):
    """Sends a whole answer that says its length, then keeps the connection open for STOP_AFTER seconds."""
    def behave(connection):
        connection.sendall(f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(STOP_AFTER)
    return behave


def peak_bytes(call):
    """(what `call()` raised, the peak of Python memory allocated meanwhile)."""
    tracemalloc.start()
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the caller asserts on it
        raised = exc
    else:
        raised = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


def node_client(peer, timeout=3.0):
    return rpc.RpcClient(peer.url, "u", "p", node="node2", timeout=timeout, transport=http_once.Once("u", "p"))


# --- a node's answer (http_once: the wait's and status's asks) ---

def test_an_endless_answer_from_a_node_is_cut_at_the_limit_without_holding_more():
    peer = Peer(endless(total=8 * http_once.ANSWER_LIMIT))
    raised, peak = peak_bytes(lambda: node_client(peer).getblockcount())
    assert isinstance(raised, RpcError) and "limit" in str(raised), raised
    assert rpc.unreached(raised) == "", "an answer that is not one: neither refused nor unroutable"
    assert peak < 2 * http_once.ANSWER_LIMIT, f"held {peak} bytes for a {http_once.ANSWER_LIMIT}-byte limit"


def test_an_answer_that_says_it_is_over_the_limit_is_refused_before_it_is_read():
    head = f"HTTP/1.0 200 OK\r\nContent-Length: {http_once.ANSWER_LIMIT + 1}\r\n\r\n".encode()
    peer = Peer(endless(head=head, total=8 * http_once.ANSWER_LIMIT))
    raised, peak = peak_bytes(lambda: node_client(peer).getblockcount())
    assert isinstance(raised, RpcError) and f"{http_once.ANSWER_LIMIT + 1} bytes, over" in str(raised), raised
    assert peak < http_once.ANSWER_LIMIT // 4


def test_a_head_without_end_is_cut_at_its_limit():
    peer = Peer(endless(head=b"HTTP/1.0 200 OK\r\nX-Pad: ", total=8 * http_once.ANSWER_LIMIT))
    with pytest.raises(RpcError, match="no end of the head"):
        node_client(peer).getblockcount()


def test_a_dripped_answer_ends_at_the_timeout_not_when_the_node_stops():
    peer = Peer(drip())
    started = time.monotonic()
    with pytest.raises(RpcError, match="did not answer within 0.3 s") as late:
        node_client(peer, timeout=0.3).getblockcount()
    assert time.monotonic() - started < 2.0, "each byte restarted the socket's timeout: no deadline for the answer"
    assert rpc.unreached(late.value) == "", "a read timeout, as requests' ReadTimeout"


def test_an_answer_that_says_its_length_ends_there_though_the_node_keeps_the_connection():
    body = json.dumps({"id": 1, "result": 7, "error": None}).encode()
    peer = Peer(held_open(body))
    started = time.monotonic()
    assert node_client(peer).getblockcount() == 7
    assert time.monotonic() - started < 2.0, "waited for the close after a whole answer"


# --- the engine's answer (engine_socket: up's reads, starts and event stream) ---

@pytest.fixture
def small_limits(monkeypatch):
    """The engine's limits made small, so a test sends a few MiB, not a few hundred."""
    monkeypatch.setattr(engine_socket, "ANSWER_LIMIT", 1024 * 1024)
    monkeypatch.setattr(engine_socket, "EVENT_LIMIT", 256 * 1024)


def test_an_endless_answer_on_the_engines_socket_is_an_error_not_asked_again(tmp_path, small_limits):
    peer = Peer(endless(total=16 * engine_socket.ANSWER_LIMIT), unix_path=tmp_path / "e.sock")
    raised, peak = peak_bytes(lambda: engine_socket.EngineSocket(peer.path, timeout=5).get("/info"))
    assert isinstance(raised, ContainerError), f"not the SDK asked to read it all again: {raised!r}"
    assert "GET /info" in str(raised) and "too large" in str(raised)
    assert peak < 2 * engine_socket.ANSWER_LIMIT, f"held {peak} bytes for a {engine_socket.ANSWER_LIMIT}-byte limit"


def test_the_real_engine_limit_is_far_above_the_largest_answer_up_reads():
    """A listing of 4,096 containers as the engine lists them (~2.2 KB each) fits under it."""
    assert 4096 * 2200 < engine_socket.ANSWER_LIMIT <= 64 * 1024 * 1024
    assert 2 * 1024 < engine_socket.EVENT_LIMIT


def test_a_dripped_answer_on_the_engines_socket_ends_at_the_timeout(tmp_path):
    peer = Peer(drip(), unix_path=tmp_path / "e.sock")
    started = time.monotonic()
    with pytest.raises(ContainerError, match="did not answer POST /containers/a/start within"):
        engine_socket.EngineSocket(peer.path, timeout=0.3).post("/containers/a/start")
    assert time.monotonic() - started < 2.0


def test_a_stream_whose_head_drips_ends_at_the_timeout(tmp_path):
    peer = Peer(drip(head=b"HTTP/1.0 200 OK\r\n"), unix_path=tmp_path / "e.sock")
    started = time.monotonic()
    with pytest.raises(ContainerError, match="did not answer GET /events"):
        engine_socket.EngineSocket(peer.path, timeout=0.3).stream("/events")
    assert time.monotonic() - started < 2.0


def test_an_event_without_end_ends_the_stream_without_holding_more(tmp_path, small_limits):
    first = json.dumps({"id": "a", "Action": "create"}).encode() + b"\n"
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + first + b'{"id": "'
    peer = Peer(endless(head=head, total=16 * engine_socket.EVENT_LIMIT), unix_path=tmp_path / "e.sock")
    stream = engine_socket.EngineSocket(peer.path, timeout=5).stream("/events")
    seen = []
    raised, peak = peak_bytes(lambda: seen.extend(stream))
    stream.close()
    assert raised is None and [event["id"] for event in seen] == ["a"], "the stream ends, as the engine closing it"
    assert peak < 4 * engine_socket.EVENT_LIMIT, f"held {peak} bytes for a {engine_socket.EVENT_LIMIT}-byte line"


def test_an_engine_answer_that_says_its_length_ends_there(tmp_path):
    peer = Peer(held_open(b'{"Driver": "overlay2"}'), unix_path=tmp_path / "e.sock")
    started = time.monotonic()
    assert engine_socket.EngineSocket(peer.path, timeout=5).get("/info") == {"Driver": "overlay2"}
    assert time.monotonic() - started < 2.0


def test_the_reader_alone_tells_a_cut_off_body_and_a_bad_length_apart():
    for response, problem in [(b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\n{}", "cut off"),
                              (b"HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n{}", "not a number"),
                              (b"SSH-2.0-OpenSSH_9\r\n", "not an HTTP response")]:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            theirs.sendall(response)
            theirs.shutdown(socket.SHUT_WR)
            with pytest.raises(http_reply.Malformed, match=problem):
                http_reply.read(ours, time.monotonic() + 5, 1024)


def test_a_node_that_drips_its_answers_cannot_hold_ups_wait_past_its_timeout(monkeypatch):
    """netstatus.wait_meshed over a node (the fakenet kind at a dripping server's port) that does not end
    its answers for 20 s: each ask ends at the RPC client's timeout (3 s in netstatus, 0.5 s here), so
    the wait fails soon after its own timeout."""
    from types import SimpleNamespace

    from fakenet import netstatus
    from fakenet.errors import WaitTimeout
    from fakenet.kinds.fakenet_kind import FakenetKind

    peer = Peer(drip(lasting=20))
    kind = FakenetKind()
    kind.ports = {**kind.ports, "rpc": int(peer.url.rsplit(":", 1)[1].strip("/"))}
    node = SimpleNamespace(
        id="c1", name="p-node-1", status="running", labels={"com.docker.compose.service": "node"},
        attrs={"State": {"Status": "running"}, "Config": {"Env": ["FAKENET_RPCUSER=u", "FAKENET_RPCPASSWORD=p"]},
               "NetworkSettings": {"Networks": {"p2p": {"IPAddress": "127.0.0.1"}}, "Ports": {}}},
        logs=lambda tail: b"dripping\n", reload=lambda: None)
    client = SimpleNamespace(containers=SimpleNamespace(list=lambda **options: [node]))
    monkeypatch.setattr(netstatus, "_clients", {})
    monkeypatch.setattr(netstatus, "RpcClient", lambda *args, **options: rpc.RpcClient(*args, **{**options, "timeout": 0.5}))
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="did not come up"):
        netstatus.wait_meshed(client, "p", 1, timeout=1.0, kind=kind)
    assert time.monotonic() - started < 1.0 + 2 * 0.5 + 2, "an ask is at most the client's timeout, twice with the last look"
