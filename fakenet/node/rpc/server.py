"""The JSON-RPC HTTP endpoint: basic auth with rpcuser/rpcpassword (or the cookie), then dispatch.

Served by h11_server.py, not aiohttp, so the node answers RPC before it imports aiohttp for its
other ports. Paths, statuses and wording are what the aiohttp app answered: `/` and
`/wallet/<name>` (wallet-scoped URLs some clients use), 404 elsewhere, 401 before 405.
"""

from __future__ import annotations

import base64
import hmac
import json

from fakenet.node import logs
from fakenet.node.h11_server import Answer, Head
from fakenet.node.log_budget import LogBudget
from fakenet.node.rpc import caller
from fakenet.node.rpc.dispatch import Registry, handle
from fakenet.node.rpc.errors import MISC_ERROR

MAX_BODY = 16 * 1024 * 1024


def _json_default(value):
    """What json cannot write itself; only ever called for such a value, so decimal (~2 ms of a node's
    start, and no RPC answers with a Decimal today) is imported here, not before the node answers."""
    from decimal import Decimal

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


UNAUTHORIZED = Answer(401, headers={"WWW-Authenticate": 'Basic realm="jsonrpc"'})
NOT_POST = Answer(405, b"JSONRPC server handles only POST requests", {"Content-Type": "text/plain"})
NOT_FOUND = Answer(404, b"404: Not Found", {"Content-Type": "text/plain"})


def _routed(target: str) -> bool:
    path = target.split("?", 1)[0]
    name = path[len("/wallet/"):] if path.startswith("/wallet/") else None
    return path == "/" or bool(name and "/" not in name)


class RpcEndpoint:
    """One node's RPC over HTTP: `refuse` on the request head, `answer` with the whole body."""

    max_body = MAX_BODY

    def __init__(self, registry: Registry, user: str, password: str):
        self.registry, self.user, self.password = registry, user, password
        self._budget = LogBudget()  # anyone can send wrong credentials: a flood writes a few lines, counted

    def refuse(self, head: Head) -> Answer | None:
        if not _routed(head.target):
            return NOT_FOUND
        if not credentials_ok(head.headers.get("authorization"), self.user, self.password):
            self._budget.warning("rpc_unauthorized", remote=head.remote)
            return UNAUTHORIZED
        return None if head.method == "POST" else NOT_POST

    async def answer(self, head: Head, body: bytes, gone) -> Answer:
        caller.watch(gone)
        reply = await handle(self.registry, body)
        # exactly "application/json", no charset: python-bitcoinrpc compares the header verbatim
        return Answer(reply.status, _encode(reply.body), {"Content-Type": "application/json"})
