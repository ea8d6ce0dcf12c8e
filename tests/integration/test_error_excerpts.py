"""A node in a container, at the loopback ports the engine published, answering what anyone can send
there: an error quotes a short excerpt of a long input, never the 8 kB of it (every port echoed it
whole), and a line that is not HTTP is said as readable text, in the answer and in the node's log
(the RPC's answer read `bytearray(b'HELLO')`)."""

import os
import re
import socket
from urllib.parse import urlsplit

import pytest
import requests

from fakenet.harness.network import Network
from fakenet.harness.waits import wait_for

pytestmark = pytest.mark.docker

LONG = "x" * 8000
SAID = "(8000 characters)"
REPLY_LIMIT = 1000  # bytes: the error's words, a 200-character excerpt, the reason
ROLES = ("rpc", "api", "ipfs", "ceramic_one", "cluster")


@pytest.fixture(scope="module")
def node():
    """One node for every test here: each only sends what is refused, so none changes it."""
    with Network(1, backend="docker", publish=True) as net:
        yield net, next(iter(net.fleet.runtimes.values()))


# (role, method, path, JSON body): a long value where each port quotes what it refuses
LONG_INPUTS = [
    ("ipfs", "POST", f"/api/v0/block/get?arg={LONG}", None),
    ("ipfs", "POST", f"/api/v0/pin/ls?type={LONG}", None),
    ("ipfs", "POST", f"/api/v0/swarm/connect?arg={LONG}", None),
    ("api", "GET", f"/api/v0/streams/{LONG}", None),
    ("api", "POST", "/api/v0/streams", {"type": LONG}),
    ("ceramic_one", "GET", f"/ceramic/events/{LONG}", None),
    ("ceramic_one", "GET", f"/ceramic/feed/events?resumeAt={LONG}", None),
    ("ceramic_one", "POST", f"/api/v0/block/get?arg={LONG}", None),
    ("cluster", "GET", f"/pins/{LONG}", None),
    ("cluster", "POST", f"/pins/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi?replication-min={LONG}", None),
    ("rpc", "POST", "/", {"method": "getblock", "params": [LONG]}),
    ("rpc", "POST", "/", {"method": "getblockcount", "params": {LONG: 1}}),
]


@pytest.mark.parametrize("role, method, path, body", LONG_INPUTS, ids=[f"{r}-{p[:30]}" for r, _, p, _ in LONG_INPUTS])
def test_an_error_quotes_an_excerpt_of_a_long_input_on_every_port(node, role, method, path, body):
    net, runtime = node
    reply = requests.request(method, runtime.url(role) + path, json=body, auth=net.backend.credentials, timeout=30)
    assert 400 <= reply.status_code < 600, (reply.status_code, reply.text[:200])
    assert len(reply.content) < REPLY_LIMIT and SAID in reply.text, f"{len(reply.content)} bytes: {reply.text[:300]}"


# Noise without the letter b: a `b` in an answer then comes from the excerpt (a hex escape, \x9b) or from
# Python's repr of bytes (b'…'), which BYTES_REPR tells apart: an escape's b follows a hex digit.
NOT_HTTP = [b"HELLO\r\n\r\n", os.urandom(300).replace(b"b", b"c") + b"\r\n\r\n"]
BYTES_REPR = re.compile(rb"bytearray\(|(?<!\w)b['\"]")


def _answer(url: str, data: bytes) -> bytes:
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as client:
        client.sendall(data)
        answer = b""
        while chunk := client.recv(65536):  # a 400 closes the connection
            answer += chunk
    return answer


@pytest.mark.parametrize("role", ROLES)
def test_a_line_that_is_not_http_is_answered_in_readable_text(node, role):
    _, runtime = node
    for data in NOT_HTTP:
        answer = _answer(runtime.url(role), data)
        head, _, body = answer.partition(b"\r\n\r\n")
        if not answer:  # h11 waits for a line's end it never finds in noise, then the idle deadline closes it
            continue
        assert b" 400 " in head.split(b"\r\n")[0] + b" ", head
        assert not BYTES_REPR.search(body), body[:300]
        assert len(body) < REPLY_LIMIT, len(body)
    assert b'"HELLO"' in _answer(runtime.url(role), NOT_HTTP[0]), role


def test_the_rpc_ports_log_line_of_a_line_that_is_not_http_is_readable(node):
    _, runtime = node
    _answer(runtime.url("rpc"), b"HELLO\r\n\r\n")
    lines, _ = wait_for(lambda: runtime.logs(tail=200), lambda found: any("http_bad_request" in line for line in found),
                        timeout=20, expected="an http_bad_request line", logs=lambda: runtime.logs(tail=20))
    logged = [line for line in lines if "http_bad_request" in line]
    assert all("bytearray(" not in line for line in logged) and any('\\"HELLO\\"' in line for line in logged), logged
