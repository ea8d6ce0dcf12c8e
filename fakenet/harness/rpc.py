"""A small synchronous JSON-RPC client for the harness and tests (the nodes' public RPC, nothing more)."""

from __future__ import annotations

import base64
import itertools
import json
import urllib.error
import urllib.request

from fakenet.errors import RpcError

_ids = itertools.count()


class RpcClient:
    def __init__(self, url: str, user: str, password: str, node: str | None = None, timeout: float = 30):
        self.url, self.node, self.timeout = url, node, timeout
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def call(self, method: str, *params):
        request = urllib.request.Request(
            self.url, data=json.dumps({"jsonrpc": "1.0", "id": next(_ids), "method": method,
                                       "params": list(params)}).encode(),
            headers={"Authorization": self._auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise RpcError(401, "authorization failed", node=self.node) from exc
            reply = json.load(exc)
        except (urllib.error.URLError, OSError) as exc:
            raise RpcError(-1, f"cannot reach {self.url}: {exc}", node=self.node) from exc
        if reply.get("error"):
            raise RpcError(reply["error"]["code"], reply["error"]["message"], node=self.node)
        return reply["result"]

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *params: self.call(method, *params)
