"""The node's JSON HTTP APIs answer every failure in their own error shape (node/http_errors.py)."""

import asyncio
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from fakenet.node import api_guard, http_errors
from fakenet.node.cluster import http as cluster_http
from fakenet.node.errors import NodeError


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
