"""What anyone who reaches a node's HTTP ports can make it log: a few lines, counted, however many
requests they send (log_budget.py). Each test sends one kind of bad input N times to a real node
and bounds how much its log grew: unbudgeted, each was one line a request (or a 2.5 KB traceback)."""

import re
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from fakenet.harness.waits import wait_for
from support import local_nodes as local

N = 250
# A burst of 10 lines, then 1 a second, each under ~400 bytes, over the few seconds a test takes.
LOG_GROWTH_LIMIT = 12_000
HALF_CHUNKED_POST = (b'POST /api/v0/streams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
                     b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n')
LONG_LINE = b"GET /" + b"x" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"  # over aiohttp's 8190-byte request line


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    (node,) = local.full_mesh(tmp_path_factory.mktemp("floods"), 1)
    try:
        node.start()
        node.wait_ready()
        yield node
    finally:
        node.close()


def _address(node, role: str) -> tuple[str, int]:
    where = urlsplit(node.url(role))
    return where.hostname, where.port


def _send_and_hang_up(node, role: str, data: bytes) -> None:
    with socket.create_connection(_address(node, role), timeout=10) as client:
        client.sendall(data)


def _send_and_read(node, role: str, data: bytes) -> bytes:
    with socket.create_connection(_address(node, role), timeout=10) as client:
        client.sendall(data)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        return answer


def _grown_by(node, before: int, said: str | None = None) -> str:
    """What the log gained since `before`: at once when the node answered every request (it logs before it
    answers); else once `said` is in it, and a moment more for the requests it has not handled yet."""
    def since() -> str:
        return node.log_path.read_bytes()[before:].decode()

    if said is None:
        return since()
    wait_for(since, lambda text: re.search(said, text), timeout=20, expected=f"a line matching {said}",
             logs=node.logs)
    # The requests not handled yet: until the log has not grown for a second (polled, within 20 s).
    sizes: list[tuple[float, int]] = []

    def look() -> list[tuple[float, int]]:
        sizes.append((time.monotonic(), node.log_path.stat().st_size))
        return sizes

    wait_for(look, _unchanged_for_a_second, timeout=20, max_interval=0.1, expected="the log to stop growing for a second",
             logs=node.logs)
    return since()


def _unchanged_for_a_second(sizes: list[tuple[float, int]]) -> bool:
    """(time, size) looks: the size the same in every look of the last second, and looks over a second."""
    last_at, last_size = sizes[-1]
    return last_at - sizes[0][0] >= 1.0 and all(size == last_size for at, size in sizes if at >= last_at - 1.0)


def _still_answers(node) -> None:
    assert requests.get(node.api_url + "/api/v0/node/healthcheck", timeout=10).status_code == 200
    assert node.rpc.getblockcount() == 0


def test_clients_hanging_up_mid_body_are_a_few_lines_not_internal_errors(node):
    before = node.log_path.stat().st_size
    for _ in range(N):
        _send_and_hang_up(node, "api", HALF_CHUNKED_POST)
    grown = _grown_by(node, before, "event=(http_client_gone|api_internal_error)")
    assert "api_internal_error" not in grown and "Traceback" not in grown, grown[:3000]
    assert len(grown) < LOG_GROWTH_LIMIT, f"{len(grown)} bytes for {N} clients that hung up: {grown[:2000]}"
    _still_answers(node)


def test_wrong_cluster_credentials_are_a_few_lines(node):
    before = node.log_path.stat().st_size
    host, port = _address(node, "cluster")
    request = f"GET /id HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic d3Jvbmc6d3Jvbmc=\r\n\r\n".encode()
    with socket.create_connection((host, port), timeout=10) as client:
        client.sendall(request * N)  # pipelined, as the flood that wrote 198 KB in 0.5 s
        answered = b""
        while answered.count(b"HTTP/1.1 401") < N:
            chunk = client.recv(65536)
            assert chunk, f"closed after {answered.count(b'HTTP/1.1 401')} answers"
            answered += chunk
    grown = _grown_by(node, before)
    assert len(grown) < LOG_GROWTH_LIMIT, f"{len(grown)} bytes for {N} refused requests: {grown[:2000]}"
    _still_answers(node)


@pytest.mark.parametrize("role", ["api", "ipfs", "ceramic_one", "cluster"])
def test_request_lines_over_the_limit_are_a_few_lines_on_every_aiohttp_port(node, role):
    before = node.log_path.stat().st_size
    for _ in range(N):
        assert b" 400 " in _send_and_read(node, role, LONG_LINE).split(b"\r\n")[0] + b" "
    grown = _grown_by(node, before)
    assert len(grown) < LOG_GROWTH_LIMIT, f"{len(grown)} bytes for {N} long request lines: {grown[:2000]}"
    _still_answers(node)


def test_refused_swarm_connects_on_the_kubo_port_are_a_few_lines(node):
    """5011 needs no credentials, as Kubo's RPC: each refused or failed dial was a log line."""
    before = node.log_path.stat().st_size
    for _ in range(N):
        answer = requests.post(node.url("ipfs") + "/api/v0/swarm/connect", params={"arg": "/ip4/10.9.9.9/tcp/4011"},
                               timeout=10)
        assert answer.status_code == 500 and "is not in this node's network" in answer.json()["Message"], answer.text
    grown = _grown_by(node, before)
    assert "ipfs_connect_refused" in grown  # the first ones are still said
    assert len(grown) < LOG_GROWTH_LIMIT, f"{len(grown)} bytes for {N} refused dials: {grown[:2000]}"
    _still_answers(node)
