"""Issue 28: `./fake up`'s wait and `./fake status` ask nodes through RpcClient with http_once's transport
(the standard library, a connection per ask) and keep what the wait decides by: refused (asked again within
a hold), a connect timeout (an unroutable address), a read timeout, a 401, an answer held by the node."""

import base64
import json
import socket
import time

import pytest

from fakenet import netstatus
from fakenet.errors import RpcError
from fakenet.harness import http_once, rpc
from support import raw_servers
from support.module_clock import patch_time


class Node:
    """A TCP server answering each request with `answer(request bytes)` (status, body, delay), then closing."""

    def __init__(self, answer):
        self.answer, self.requests = answer, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/rpc"
        raw_servers.serve(self.server, lambda connection: self._one(connection))  # a test may replace _one

    def _one(self, connection):
        with connection:
            request = raw_servers.read_head(connection)
            head, _, body = request.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += connection.recv(4096)
            self.requests.append((head.decode(), json.loads(body)))
            status, reply, delay = self.answer(head, json.loads(body))
            time.sleep(delay)
            connection.sendall(f"HTTP/1.0 {status}\r\nContent-Length: {len(reply)}\r\n\r\n".encode() + reply)


def client(node, timeout=3.0, password="s=cret"):
    return rpc.RpcClient(node.url, "alice", password, node="node2", timeout=timeout,
                         transport=http_once.Once("alice", password))


def authorized(head):
    return f"Basic {base64.b64encode(b'alice:s=cret').decode()}" in head.decode()


def test_a_call_and_a_batch_carry_basic_auth_and_get_their_results():
    def answer(head, body):
        if not authorized(head):
            return "401 Unauthorized", b"", 0
        if isinstance(body, list):
            return "200 OK", json.dumps([{"id": call["id"], "result": call["method"]} for call in reversed(body)]).encode(), 0
        return "200 OK", json.dumps({"id": body["id"], "result": 7, "error": None}).encode(), 0

    node = Node(answer)
    assert client(node).getblockcount() == 7
    assert client(node).batch([("a", []), ("b", [1])]) == ["a", "b"], "results in the order asked"
    head = node.requests[0][0].split("\r\n")
    assert head[0] == "POST /rpc HTTP/1.0" and "Content-Type: application/json" in head
    with pytest.raises(RpcError) as refused:
        client(node, password="wrong").getblockcount()
    assert refused.value.code == rpc.UNAUTHORIZED and rpc.unreached(refused.value) is None


def test_an_rpc_error_and_an_answer_that_is_not_json_are_told_apart():
    answers = iter([("200 OK", b'{"id": 1, "result": null, "error": {"code": -8, "message": "bad height"}}', 0),
                    ("500 Internal Server Error", b"<html>oops</html>", 0)])
    node = Node(lambda head, body: next(answers))
    with pytest.raises(RpcError, match="bad height") as error:
        client(node).getblockhash(99)
    assert error.value.code == -8
    with pytest.raises(RpcError, match="HTTP 500 .* is not JSON: '<html>oops") as error:
        client(node).getblockcount()
    assert error.value.code == rpc.UNREACHABLE


def test_a_held_answer_comes_within_the_clients_timeout_and_a_later_one_is_a_read_timeout():
    node = Node(lambda head, body: ("200 OK", json.dumps({"result": body["params"]}).encode(), body["params"][1]))
    assert client(node, timeout=3).waitforconnections(3, 0.3) == [3, 0.3], "held 0.3 s, answered"
    started = time.monotonic()
    with pytest.raises(RpcError, match="did not answer within 0.2 s") as late:
        client(node, timeout=0.2).waitforconnections(3, 2.0)
    assert time.monotonic() - started < 1.5
    assert rpc.unreached(late.value) == "", "a read timeout: neither refused nor unroutable"


def test_nothing_listening_is_refused_and_a_connect_that_times_out_is_told_apart(monkeypatch):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(RpcError, match="cannot reach") as refused:
        rpc.RpcClient(f"http://127.0.0.1:{port}/", "u", "p", transport=http_once.Once("u", "p")).getblockcount()
    assert rpc.unreached(refused.value) == rpc.REFUSED

    def unroutable(address, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr(http_once.socket, "create_connection", unroutable)
    with pytest.raises(RpcError) as filtered:
        rpc.RpcClient("http://10.255.0.2:6433/", "u", "p", transport=http_once.Once("u", "p")).getblockcount()
    assert rpc.unreached(filtered.value) == rpc.CONNECT_TIMEOUT


def test_a_cut_off_answer_is_unreached_but_not_refused():
    node = Node(lambda head, body: ("200 OK", b"", 0))

    def cut(connection):
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\n{\"result\"")

    node._one = cut
    with pytest.raises(RpcError, match="cut off") as error:
        client(node).getblockcount()
    assert rpc.unreached(error.value) == ""


def test_the_waits_held_question_asks_a_refusing_node_again_but_not_an_unroutable_one(monkeypatch):
    """netstatus._held_summary over this transport's errors, as over requests' (test_up_fast_path)."""
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    refusing = rpc.RpcClient(f"http://127.0.0.1:{port}/", "u", "p", transport=http_once.Once("u", "p"))

    class Client:
        asked = 0

        def summary_with(self, peers, wait):
            self.asked += 1
            return refusing.getblockcount()

    pauses = []
    monkeypatch.setattr(netstatus.time, "sleep", lambda pause: pauses.append(pause))
    clock = iter([100.0, 100.1, 100.2, 100.3, 101.5])
    patch_time(monkeypatch, netstatus, monotonic=lambda: next(clock))
    asking = Client()
    with pytest.raises(RpcError):
        netstatus._held_summary(asking, (3, 1.0))
    assert asking.asked == 4 and pauses == [0.01, 0.02, 0.04], "refused: asked again until the hold is spent"

    def unroutable(address, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr(http_once.socket, "create_connection", unroutable)
    clock = iter([200.0, 200.1])
    once = Client()
    with pytest.raises(RpcError):
        netstatus._held_summary(once, (3, 1.0))
    assert once.asked == 1, "a connect timeout is the unroutable address (_Route), not a node starting"
