"""The JSON-RPC HTTP endpoint: basic auth with rpcuser/rpcpassword (or the cookie), then dispatch."""

from __future__ import annotations

import base64
import hmac
import json
from decimal import Decimal

from aiohttp import web

from fakenet.node import logs
from fakenet.node.log_budget import LogBudget
from fakenet.node.rpc import caller
from fakenet.node.rpc.dispatch import Registry, handle
from fakenet.node.rpc.errors import MISC_ERROR

MAX_BODY = 16 * 1024 * 1024


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _encode(body) -> bytes:
    """Strict JSON: a result holding NaN (a bug) becomes an error reply, never an invalid body."""
    try:
        return (json.dumps(body, default=_json_default, allow_nan=False) + "\n").encode()
    except (ValueError, TypeError, RecursionError) as exc:
        logs.get().error("rpc_reply_not_json", error=repr(exc))
        error = {"code": MISC_ERROR, "message": f"internal error: reply is not JSON ({exc})"}
        return (json.dumps({"result": None, "error": error, "id": None}) + "\n").encode()


def credentials_ok(header: str | None, user: str, password: str) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:], validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(given, f"{user}:{password}".encode())


def make_app(registry: Registry, user: str, password: str) -> web.Application:
    budget = LogBudget()  # anyone can send wrong credentials: a flood writes a few lines, counted

    async def endpoint(request: web.Request) -> web.Response:
        if not credentials_ok(request.headers.get("Authorization"), user, password):
            budget.warning("rpc_unauthorized", remote=request.remote)
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="jsonrpc"'})
        if request.method != "POST":
            return web.Response(status=405, text="JSONRPC server handles only POST requests")
        caller.watch(lambda: request.transport is None or request.transport.is_closing())
        reply = await handle(registry, await request.read())
        # exactly "application/json", no charset: python-bitcoinrpc compares the header verbatim
        return web.Response(status=reply.status, headers={"Content-Type": "application/json"},
                            body=_encode(reply.body))

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_route("*", "/", endpoint)
    app.router.add_route("*", "/wallet/{name}", endpoint)  # wallet-scoped URLs some clients use
    return app
