"""An error answer names what was wrong and quotes a short excerpt of the input, never the input: an
8 kB query argument came back as an 8 kB error on every HTTP port of the node (excerpt.py); bytes a
client sent are readable text, not Python's bytearray(b'...') repr, in answers and log lines."""

import asyncio
import json
import logging
import os

import pytest
from aiohttp import web

from fakenet.node import api_guard, excerpt, ipfs_api, logs, multiaddr
from fakenet.node.ceramic_one import api as ceramic_one_api
from fakenet.node.cluster import http as cluster_http
from fakenet.node.cluster import items, params as cluster_params
from fakenet.node.errors import NodeError
from fakenet.node.h11_server import Answer, serve as serve_h11
from fakenet.node.http_guard import serve as serve_aiohttp
from fakenet.node.rpc import dispatch, params as rpc_params
from fakenet.node.rpc.errors import RpcFailure
from fakenet.node.streams import StreamID
from support.http_probes import free_port

LONG = "x" * 8000
SAID = "(8000 characters)"  # the size of what was cut
REPLY_LIMIT = 1000  # bytes of an error answer: words, a 200-character excerpt, a reason


def test_an_excerpt_is_the_text_or_its_start_an_ellipsis_and_its_size():
    assert excerpt.quoted("kabc") == "'kabc'" and excerpt.quoted(7) == "7"
    assert excerpt.quoted(LONG) == "'" + "x" * excerpt.LIMIT + "…' " + SAID
    assert excerpt.quoted(LONG, quote='"').startswith('"xxx') and excerpt.clip(LONG).endswith("… " + SAID)
    cut = excerpt.bounded("what was wrong: " + LONG + " because")
    assert len(cut) == excerpt.MESSAGE_LIMIT and cut.startswith("what was wrong: ") and cut.endswith(" because") and "cut" in cut


@pytest.mark.parametrize("refuse, said", [
    (lambda: ipfs_api._cid(LONG), 'invalid path "xxx'),
    (lambda: ipfs_api._peer_addr(LONG), 'failed to parse multiaddr "xxx'),
    (lambda: StreamID.parse(LONG), "stream ids are base36 text starting with 'k', got 'xxx"),
    (lambda: items.canonical(LONG), "is neither a CID nor a stream id"),
    (lambda: cluster_params.factors(rmin=LONG), "rmin must be an integer, got 'xxx"),
    (lambda: ceramic_one_api._sep(LONG), "sort key 'xxx"),
    (lambda: ceramic_one_api._model(LONG), "sort value 'xxx"),
    (lambda: multiaddr.parse(LONG), "bad peer address 'xxx"),
    (lambda: rpc_params.block_hash(LONG, "blockhash"), "blockhash must be of length 64 (not 8000, for 'xxx"),
])
def test_a_refusal_names_the_fault_and_quotes_an_excerpt_of_the_input(refuse, said):
    with pytest.raises((ipfs_api._KuboError, ValueError, NodeError, RpcFailure)) as refused:
        refuse()
    message = str(refused.value)
    assert said in message and SAID in message and len(message) <= excerpt.MESSAGE_LIMIT, message


@pytest.mark.parametrize("answer", [lambda m: api_guard.error(400, m), lambda m: cluster_http.error(400, m),
                                    lambda m: ceramic_one_api._error(400, m), lambda m: ipfs_api._kubo_json(m, 500, 0)])
def test_every_ports_error_answer_is_bounded_whatever_message_it_is_given(answer):
    """A message from a library, or a site that quotes its input whole, still cannot fill the answer."""
    body = answer(f"bad thing {LONG}: the reason").body
    assert len(body) < REPLY_LIMIT and b"the reason" in body and b"bad thing" in body, body[:200]


def test_rpc_errors_that_name_the_callers_words_quote_an_excerpt():
    registry = dispatch.Registry()

    @registry.method
    async def getblockcount():
        return 0

    @registry.method
    async def help(command=None):
        return registry.help(command)

    for request in ({"method": "getblockcount", "params": {LONG: 1}}, {"method": "help", "params": [LONG]}):
        reply = asyncio.run(dispatch.handle(registry, json.dumps(request).encode()))
        text = json.dumps(reply.body)
        assert len(text) < REPLY_LIMIT and SAID in text, text[:300]


# -- bytes a client sent, as text --------------------------------------------------------------------

def test_a_bytes_repr_in_a_librarys_message_becomes_readable_bounded_text():
    assert excerpt.readable_message("illegal request line: bytearray(b'HELLO')") == 'illegal request line: "HELLO"'
    aiohttp_style = "400, message:\n  Invalid method encountered:\n\n    b'\\x16\\x03\\x01\"\\\\'\n      ^"
    assert excerpt.readable_message(aiohttp_style) == '400, message: Invalid method encountered: "\\x16\\x03\\x01\\"\\\\"'
    noise = excerpt.readable_message(f"illegal request line: {bytearray(os.urandom(4000))!r}")
    # The repr's b'…' became quoted text; a b' inside it is the random bytes' own (1 run in 30 drew one)
    assert noise.startswith('illegal request line: "') and "bytearray(" not in noise
    assert "bytes)" in noise and len(noise) <= excerpt.MESSAGE_LIMIT


async def _exchange(port: int, data: bytes) -> bytes:
    """What the server answers `data` with, up to its closing the connection (a 400 closes it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    try:
        return await asyncio.wait_for(reader.read(-1), 5)
    finally:
        writer.close()


class _Ok:
    max_body = 100

    def refuse(self, head):
        return None

    async def answer(self, head, body, gone):
        return Answer(200, b"ok")


NOT_HTTP = [b"HELLO\r\n\r\n", bytes(range(256)) * 2 + b"\r\n\r\n"]


@pytest.mark.parametrize("data", NOT_HTTP)
def test_the_rpc_server_answers_and_logs_a_non_http_line_as_readable_text(data, caplog):
    async def run():
        port = free_port()
        server = await serve_h11(_Ok(), "127.0.0.1", port)
        try:
            return await _exchange(port, data)
        finally:
            server.close()

    with caplog.at_level(logging.WARNING, logger="fakenet.node"):
        answer = asyncio.run(run())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"bytearray(" not in body and b"b'" not in body, body
    assert len(body) < REPLY_LIMIT and body.startswith(b'bad request: illegal request line: "'), body
    logged = [r for r in caplog.records if r.getMessage() == "http_bad_request"]
    assert logged and "bytearray(" not in logged[0].fields["reason"], [r.__dict__ for r in caplog.records]


@pytest.mark.parametrize("data", NOT_HTTP + [b"GET /\x00\x01\xff HTTP/1.1\r\n\r\n"])
def test_an_aiohttp_port_answers_a_non_http_line_as_readable_text(data):
    async def run():
        app = web.Application()
        port = free_port()
        runner, server = await serve_aiohttp(app, "127.0.0.1", port)
        try:
            return await _exchange(port, data)
        finally:
            server.close()
            await runner.cleanup()

    head, _, body = asyncio.run(run()).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 400 " in head, head
    assert b"b'" not in body and b'b"' not in body and b"\n" not in body and len(body) < REPLY_LIMIT, body
    assert b'"' in body  # the request line, quoted


def test_a_log_line_of_aiohttps_refusal_shows_the_request_as_text():
    from aiohttp.http_exceptions import InvalidURLError

    try:
        raise InvalidURLError("Invalid char in url path:\n\n  b'GET /\\x00\\x01\\xff HTTP/1.1'\n         ^")
    except InvalidURLError:
        record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "Error handling request from %s",
                                   ("10.0.0.1",), exc_info=__import__("sys").exc_info())
    line = logs.LibraryFormatter("node").format(record)
    assert "b'" not in line and 'bad_request="InvalidURLError: 400, message: Invalid char in url path: ' \
        '\\"GET /\\\\x00\\\\x01\\\\xff HTTP/1.1\\""' in line, line


def test_a_request_line_the_client_left_half_sent_is_not_logged_as_a_bad_request(caplog):
    """A client stopped mid-way (curl interrupted) is not a bad request: only what breaks HTTP is a line."""
    async def run():
        port = free_port()
        server = await serve_h11(_Ok(), "127.0.0.1", port)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST / HT")
            writer.write_eof()
            await asyncio.wait_for(reader.read(-1), 5)  # the server closes its end once it has read the EOF
            writer.close()
        finally:
            server.close()

    with caplog.at_level(logging.WARNING, logger="fakenet.node"):
        asyncio.run(run())
    assert [r.getMessage() for r in caplog.records if r.getMessage() == "http_bad_request"] == []
