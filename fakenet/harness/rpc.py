"""The harness's one JSON-RPC client: keep-alive connections, typed errors, batches.

Every harness layer that talks JSON-RPC to a node (the network, status, graph, attach, the
kinds' clients) builds on this; nothing beside it opens its own HTTP connections to RPC.
A `requests.Session` keeps one pool of connections per client, so a poll loop costs a request,
not a TCP handshake each time; the pool is sized for the harness's parallel probes.
"""

from __future__ import annotations

import itertools
import json

import requests
from requests.adapters import HTTPAdapter

from fakenet.errors import RpcError

_ids = itertools.count()
UNREACHABLE = -1  # not a node's answer: the call never got one
UNAUTHORIZED = 401


class RpcClient:
    """`client.call("getblockcount")`, `client.getblockcount()`, `client.batch([("m", [p]), …])`."""

    def __init__(self, url: str, user: str, password: str, node: str | None = None, timeout: float = 30):
        self.url, self.node, self.timeout = url, node, timeout
        self._session = requests.Session()
        self._session.auth = (user, password)
        # Nodes are reached directly, never through a proxy the environment names for other traffic;
        # and not looking proxies up saves a walk over os.environ per request (a third of the harness's
        # CPU per RPC poll in a profile of a 64-node start).
        self._session.trust_env = False
        self._session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=64))

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
        return [self._result(by_id.get(i, {"error": {"code": UNREACHABLE, "message": "no reply"}})) for i in ids]

    def close(self) -> None:
        self._session.close()

    def _post(self, body, timeout: float | None):
        try:
            response = self._session.post(self.url, data=json.dumps(body), timeout=timeout or self.timeout,
                                          headers={"Content-Type": "application/json"})
        except requests.RequestException as exc:
            raise RpcError(UNREACHABLE, f"cannot reach {self.url}: {exc}", node=self.node) from exc
        if response.status_code == UNAUTHORIZED:
            raise RpcError(UNAUTHORIZED, f"{self.url} refused the credentials", node=self.node)
        try:
            return response.json()
        except ValueError as exc:
            raise RpcError(UNREACHABLE, f"HTTP {response.status_code} from {self.url} is not JSON: "
                                        f"{response.text[:120]!r}", node=self.node) from exc

    def _result(self, reply: dict):
        error = reply.get("error")
        if error:
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            raise RpcError(code if isinstance(code, int) else UNREACHABLE, message, node=self.node)
        return reply.get("result")

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *params: self.call(method, *params)

