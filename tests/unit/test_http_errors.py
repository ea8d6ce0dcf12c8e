"""The node's JSON HTTP APIs answer every failure in their own error shape (node/http_errors.py)."""

import asyncio
import json
import logging

import pytest
from aiohttp import ClientConnectionResetError, web
from aiohttp.test_utils import make_mocked_request

from fakenet.node import api_guard, http_errors, ipfs_api
from fakenet.node.cluster import http as cluster_http
from fakenet.node.errors import NodeError
from support.node_lines import said


def _answer(errors, exc: BaseException) -> web.Response:
    async def handler(request):
        raise exc
    return asyncio.run(errors(make_mocked_request("GET", "/x"), handler))


def _body(response: web.Response) -> dict:
    return json.loads(response.body)


class Missing(NodeError):
    pass


STREAM_API = api_guard.errors(((Missing, 404), (NodeError, 400)))


@pytest.mark.parametrize("exc, status, words", [
    (Missing("no such stream"), 404, "no such stream"),  # the first row that matches, not the broader NodeError
    (NodeError("refused"), 400, "refused"),
    (json.JSONDecodeError("Expecting value", "{", 1), 400, "request body is not JSON"),
    (RecursionError(), 400, "nested too deeply"),
    (KeyError("content"), 400, "bad request: KeyError('content')"),
    (ZeroDivisionError("a bug"), 500, "internal error: ZeroDivisionError('a bug')"),
    (web.HTTPMethodNotAllowed("PUT", ["GET"]), 405, "Method Not Allowed"),
    (web.HTTPRequestEntityTooLarge(max_size=10, actual_size=11), 413, "request body is over the limit"),
])
def test_the_stream_api_answers_each_failure_as_json(exc, status, words):
    response = _answer(STREAM_API, exc)
    assert (response.status, words in _body(response)["error"]) == (status, True), _body(response)


def test_an_http_error_keeps_only_the_headers_the_api_names():
    response = _answer(STREAM_API, web.HTTPMethodNotAllowed("PUT", ["GET"], headers={"X-Other": "1"}))
    assert (response.headers.get("Allow"), "X-Other" in response.headers) == ("GET", False)


def test_a_redirect_is_not_an_error():
    with pytest.raises(web.HTTPFound):
        _answer(STREAM_API, web.HTTPFound("/y"))


def test_the_cluster_api_answers_in_ipfs_clusters_shape_and_keeps_its_auth_challenge():
    (errors, *_) = cluster_http.middlewares("user", "pw", True, 1024)
    refused = _answer(errors, web.HTTPUnauthorized(text="Unauthorized", headers={"WWW-Authenticate": "Basic"}))
    assert (refused.status, _body(refused), refused.headers["WWW-Authenticate"]) == (
        401, {"code": 401, "message": "Unauthorized"}, "Basic")
    assert _body(_answer(errors, ValueError("rmin above rmax"))) == {"code": 400, "message": "rmin above rmax"}


def test_a_bug_is_logged_with_its_traceback(caplog):
    errors = http_errors.middleware(api_guard.error, (), "test_api_bug")
    with caplog.at_level("ERROR"):
        assert _answer(errors, ZeroDivisionError()).status == 500
    (record,) = [r for r in caplog.records if r.getMessage() == "test_api_bug"]
    assert record.exc_info is not None


def _raised_to(errors, exc: BaseException, connected: bool) -> web.Response:
    """`exc` raised by a handler whose client is still connected, or has hung up (aiohttp's request then
    has no transport)."""
    async def handler(request):
        raise exc
    request = make_mocked_request("POST", "/x")
    if not connected:
        request.protocol.transport = None
    return asyncio.run(errors(request, handler))


KUBO_ERRORS = ipfs_api._middlewares(1024, 5011)[1]
APIS = {"stream": STREAM_API, "cluster": cluster_http.middlewares("user", "pw", True, 1024)[0], "kubo": KUBO_ERRORS}
# What aiohttp raises into a handler reading a body its client cut off: the error connection_lost sets on the
# body, or the one of a read begun after the connection closed (aiohttp/streams.py: StreamReader._wait).
GONE = [ConnectionResetError("Connection lost"), ClientConnectionResetError("Connection lost"),
        RuntimeError("Connection closed.")]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("exc", GONE, ids=repr)
def test_a_client_that_hung_up_is_not_an_internal_error(api, exc, caplog):
    with said(caplog, logging.DEBUG):
        response = _raised_to(APIS[api], exc, connected=False)
    assert response.status == http_errors.CLIENT_GONE
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name == "fakenet.node"] == [
        ("INFO", "http_client_gone", None)], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("exc, connected", [
    (RuntimeError("a bug of ours"), False),  # the client left, but what broke is ours
    (RuntimeError("Connection closed."), True),  # an aiohttp client of ours, say, whose peer went away
    (ConnectionResetError("Connection lost"), True),
], ids=repr)
def test_the_same_errors_while_the_client_is_there_or_another_error_are_still_ours(api, exc, connected, caplog):
    with said(caplog, logging.ERROR):
        response = _raised_to(APIS[api], exc, connected)
    assert response.status == 500
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info[1] is exc


def test_a_flood_of_clients_that_hung_up_writes_a_few_lines(caplog):
    errors = http_errors.middleware(api_guard.error, (), "test_api_bug")
    with said(caplog, logging.DEBUG) as lines:
        for _ in range(200):
            _raised_to(errors, ConnectionResetError("Connection lost"), connected=False)
    assert 1 <= len(lines("http_client_gone")) <= 15, len(lines("http_client_gone"))
