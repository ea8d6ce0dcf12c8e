"""JSON-RPC 1.0 and 2.0 envelopes and batches, answered the way bitcoin-core answers them.

Legacy (1.0) requests get `{"result", "error", "id"}` and, on error, HTTP 500 (404 for an
unknown method, 400 for an invalid request), which existing client libraries expect;
2.0 requests get a 2.0 reply with HTTP 200.

Bodies are read as strict JSON, as bitcoin-core's parser reads them: NaN, Infinity, numbers that
overflow a double and nesting deeper than MAX_DEPTH are parse errors (-32700), so no reply ever
echoes something that is not JSON and no method sees a value it cannot encode again. A batch
yields to the event loop between its requests, so a long one cannot starve the swarm's
keepalives, and holds at most MAX_BATCH requests.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any, Awaitable, Callable, NamedTuple

from fakenet.node import excerpt, logs, strict_json
from fakenet.node.rpc import caller, helptext
from fakenet.node.rpc.errors import INVALID_PARAMETER, INVALID_REQUEST, METHOD_NOT_FOUND, MISC_ERROR, PARSE_ERROR, RpcFailure

Method = Callable[..., Awaitable[Any]]

MAX_DEPTH = 100  # bitcoin-core allows 512; dag-cbor and jsonpatch recurse per level, Python stops at 1000
MAX_BATCH = 1000


class Reply(NamedTuple):
    """A JSON-RPC answer: the body to send and its HTTP status."""

    body: Any
    status: int


class Registry:
    def __init__(self):
        self.methods: dict[str, Method] = {}
        # inspect.signature builds one anew on each call: about a third of _call's time for a
        # getpeerinfo (cProfile), which the sim's harness asks of every node at every poll. Kept
        # by function, so a name registered again gets its new signature.
        self._signatures: dict[Method, inspect.Signature] = {}
        # Set while more modules are still to register: a process node answers RPC before it has
        # built its stream layer (daemon.py), and a call to a method of that layer waits for it.
        self._more: asyncio.Event | None = None

    def expect_more(self) -> None:
        self._more = asyncio.Event()

    def complete(self) -> None:
        """Every module has registered (or never will: the node is stopping); waiting calls go on."""
        if self._more is not None:
            self._more.set()
            self._more = None

    async def find(self, name: str) -> Method | None:
        method = self.methods.get(name)
        if method is None and self._more is not None:
            await self._more.wait()
            method = self.methods.get(name)
        return method

    async def settled(self) -> None:
        if self._more is not None:
            await self._more.wait()

    def method(self, function: Method) -> Method:
        """Register a coroutine under its own name; its docstring is its `help` text."""
        self.methods[function.__name__] = function
        return function

    def signature(self, method: Method) -> inspect.Signature:
        signature = self._signatures.get(method)
        if signature is None:
            signature = self._signatures[method] = inspect.signature(method)
        return signature

    def help(self, name: str | None = None) -> str:
        if not name:
            return helptext.overview(self.methods)
        if name not in self.methods:
            return f"help: unknown command: {excerpt.clip(name)}"
        signature = inspect.signature(self.methods[name])
        args = " ".join(f'"{p}"' if q.default is inspect.Parameter.empty else f'( "{p}" )'
                        for p, q in signature.parameters.items())
        return f"{name} {args}\n\n{inspect.getdoc(self.methods[name]) or ''}".strip()


def _error(code: int, message: str) -> dict:
    return {"code": code, "message": message}


def _status_for(code: int) -> int:
    return {INVALID_REQUEST: 400, METHOD_NOT_FOUND: 404}.get(code, 500)


async def _call(registry: Registry, request: Any) -> tuple[Any, dict | None, Any, bool]:
    """Run one request object; return (result, error, id, is_v2)."""
    if not isinstance(request, dict):
        return None, _error(INVALID_REQUEST, "Invalid Request object"), None, False
    request_id, is_v2 = request.get("id"), request.get("jsonrpc") == "2.0"
    name, params = request.get("method"), request.get("params", [])
    if not isinstance(name, str):
        return None, _error(INVALID_REQUEST, "Method must be a string"), request_id, is_v2
    if params is None:
        params = []
    if not isinstance(params, (list, dict)):
        return None, _error(INVALID_REQUEST, "Params must be an array or object"), request_id, is_v2
    method = await registry.find(name)
    if method is None:
        return None, _error(METHOD_NOT_FOUND, "Method not found"), request_id, is_v2
    signature = registry.signature(method)
    unknown = [key for key in params if key not in signature.parameters] if isinstance(params, dict) else []
    if unknown:  # bitcoin-core's named-argument check
        return None, _error(INVALID_PARAMETER, f"Unknown named parameter {excerpt.clip(unknown[0])}"), request_id, is_v2
    try:
        bound = signature.bind(*params) if isinstance(params, list) else signature.bind(**params)
    except TypeError as exc:
        return None, _error(MISC_ERROR, f"{exc}\n\n{registry.help(name)}"), request_id, is_v2
    try:
        return await method(*bound.args, **bound.kwargs), None, request_id, is_v2
    except RpcFailure as exc:
        return None, _error(exc.code, exc.message), request_id, is_v2
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        return None, _error(INVALID_PARAMETER, f"Invalid parameter: {exc}"), request_id, is_v2
    except Exception as exc:  # a bug must answer the client, not kill the server
        logs.get().error("rpc_method_failed", method=name, error=repr(exc), exc_info=exc)
        return None, _error(MISC_ERROR, excerpt.bounded(f"internal error: {exc!r}")), request_id, is_v2


def _envelope(result, error, request_id, is_v2) -> dict:
    if not is_v2:
        return {"result": result, "error": error, "id": request_id}
    body = {"jsonrpc": "2.0", "id": request_id}
    body.update({"error": error} if error else {"result": result})
    return body


class ParseError(ValueError):
    pass


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit`; iterative, so it cannot itself overflow."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _first_of_each(pairs: list) -> dict:
    """An object whose key comes twice keeps the first, as bitcoin-core's UniValue finds it (checked against
    Litecoin Core: `./fake fidelity`, "a key given twice"); json's default keeps the last, so
    {"method": "getblockcount", "method": "stop"} stopped the node where Core answers the height."""
    found: dict = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def parse(body: bytes) -> Any:
    """The request body as strict JSON; ParseError says why not."""
    try:
        request = json.loads(body, parse_constant=strict_json.refuse_constant, parse_float=strict_json.finite_float,
                             object_pairs_hook=_first_of_each)
    except RecursionError as exc:
        raise ParseError(f"nesting deeper than {MAX_DEPTH}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(str(exc)) from exc
    if _deeper_than(request, MAX_DEPTH):
        raise ParseError(f"nesting deeper than {MAX_DEPTH}")
    return request


async def _batch(registry: Registry, requests: list) -> Reply:
    if len(requests) > MAX_BATCH:
        error = _error(INVALID_REQUEST, f"batch of {len(requests)} requests; at most {MAX_BATCH}")
        return Reply({"result": None, "error": error, "id": None}, 400)
    replies = []
    for item in requests:
        replies.append(_envelope(*await _call(registry, item)))
        await asyncio.sleep(0)  # let the swarm's readers and pingers run between requests
    return Reply(replies, 200)


async def handle(registry: Registry, body: bytes) -> Reply:
    caller.request_begins()
    try:
        request = parse(body)
    except ParseError as exc:
        # bitcoin-core says "Parse error" and nothing more: clients match on it (FIDELITY.md); the
        # detail goes to the log for whoever runs the node.
        logs.get().info("rpc_parse_error", reason=str(exc)[:200])
        return Reply({"result": None, "error": _error(PARSE_ERROR, "Parse error"), "id": None}, 500)
    if isinstance(request, list):
        return await _batch(registry, request)
    result, error, request_id, is_v2 = await _call(registry, request)
    status = 200 if (error is None or is_v2) else _status_for(error["code"])
    return Reply(_envelope(result, error, request_id, is_v2), status)
