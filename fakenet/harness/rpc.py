"""The harness's one JSON-RPC client: keep-alive connections, typed errors, batches.

Every harness layer that talks JSON-RPC to a node (the network, status, graph, attach, the
kinds' clients) builds on this; nothing beside it opens its own HTTP connections to RPC.
A `requests.Session` keeps one pool of connections per client, so a poll loop costs a request,
not a TCP handshake each time; the pool is sized for the harness's parallel probes. Where a few
calls are all there is and the import is the cost (`./fake up`'s wait, `./fake status`), the
transport is http_once.Once instead: same calls, same errors, no requests (issue 28).
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import Protocol

from fakenet.errors import RpcError

_ids = itertools.count()
UNREACHABLE = -1  # not a node's answer: the call never got one
UNAUTHORIZED = 401


class Transport(Protocol):
    def post(self, url: str, data: bytes, timeout: float) -> tuple[int, bytes]:
        """(HTTP status, body) of a JSON POST; an OSError (requests' errors are ones) where no answer came."""

    def close(self) -> None: ...


class Session:
    """The harness's transport: a requests Session, keep-alive connections in one pool per client."""

    def __init__(self, user: str, password: str):
        import requests
        from requests.adapters import HTTPAdapter

        self._session = requests.Session()
        self._session.auth = (user, password)
        # Nodes are reached directly, never through a proxy the environment names for other traffic;
        # and not looking proxies up saves a walk over os.environ per request (a third of the harness's
        # CPU per RPC poll in a profile of a 64-node start).
        self._session.trust_env = False
        self._session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=64))

    def post(self, url: str, data: bytes, timeout: float) -> tuple[int, bytes]:
        response = self._session.post(url, data=data, timeout=timeout, headers={"Content-Type": "application/json"})
        return response.status_code, response.content

    def close(self) -> None:
        self._session.close()


class RpcClient:
    """`client.call("getblockcount")`, `client.getblockcount()`, `client.batch([("m", [p]), …])`;
    `transport`: how a request travels (default: a requests Session)."""

    def __init__(self, url: str, user: str, password: str, node: str | None = None, timeout: float = 30,
                 transport: Transport | None = None):
        self.url, self.node, self.timeout = url, node, timeout
        self._transport = transport or Session(user, password)

    def __repr__(self) -> str:
        return f"<RpcClient {self.node or ''} {self.url}>"

    def call(self, method: str, *params, timeout: float | None = None):
        reply = self._post({"jsonrpc": "1.0", "id": next(_ids), "method": method, "params": list(params)}, timeout)
        if not isinstance(reply, dict):
            raise RpcError(UNREACHABLE, f"{method}: expected a JSON-RPC object, got {str(reply)[:120]}", node=self.node)
        return self._result(reply)

    def batch(self, calls: list[tuple[str, list]]) -> list:
        """Several calls in one request; results in order, the first error raised."""
        ids = [next(_ids) for _ in calls]
        replies = self._post([{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
                              for i, (m, p) in zip(ids, calls)], None)
        if not isinstance(replies, list):
            return [self._result(replies)]  # an error for the batch as a whole
        by_id = {reply.get("id"): reply for reply in replies}
        return [self._result(by_id[i]) if i in by_id else
                self._result({"error": {"code": UNREACHABLE, "message": "no reply"}}, answered=False) for i in ids]

    def close(self) -> None:
        self._transport.close()

    def _post(self, body, timeout: float | None):
        try:
            status, content = self._transport.post(self.url, json.dumps(body).encode(), timeout or self.timeout)
        except OSError as exc:  # requests.RequestException is one
            raise RpcError(UNREACHABLE, f"cannot reach {self.url}: {exc}", node=self.node) from exc
        if status == UNAUTHORIZED:
            raise RpcError(UNAUTHORIZED, f"{self.url} refused the credentials", node=self.node)
        try:
            return json.loads(content)
        except ValueError as exc:
            raise RpcError(UNREACHABLE, f"HTTP {status} from {self.url} is not JSON: "
                                        f"{content.decode(errors='replace')[:120]!r}", node=self.node) from exc

    def _result(self, reply: dict, answered: bool = True):
        error = reply.get("error")
        if error:
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            raise RpcError(code if isinstance(code, int) else UNREACHABLE, message, node=self.node, answered=answered)
        return reply.get("result")

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *params: self.call(method, *params)



REFUSED, CONNECT_TIMEOUT = "refused", "connect timeout"


def unreached(exc: RpcError) -> str | None:
    """Why a call got no answer, in either transport's terms: REFUSED (no connection: nothing listens
    there yet, or it hung up), CONNECT_TIMEOUT (nothing answered the connect: an address this host does
    not route to), "" for the rest (a read timeout, a cut-off answer); None where an answer came."""
    from fakenet.harness import http_once

    cause = exc.__cause__
    if exc.code != UNREACHABLE or not isinstance(cause, OSError):
        return None
    if isinstance(cause, http_once.ConnectTimeout):
        return CONNECT_TIMEOUT
    if isinstance(cause, (TimeoutError, http_once.BadResponse)):
        return ""
    exceptions = sys.modules.get("requests.exceptions")  # a requests error exists only once requests is imported
    if exceptions is None or not isinstance(cause, exceptions.RequestException):
        return REFUSED  # the socket's own: refused, reset, no route
    if isinstance(cause, exceptions.ConnectTimeout):
        return CONNECT_TIMEOUT
    refused = isinstance(cause, exceptions.ConnectionError) and not isinstance(cause, exceptions.Timeout)
    return REFUSED if refused else ""
