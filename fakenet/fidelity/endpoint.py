"""A JSON-RPC endpoint seen from outside: raw HTTP exchanges (status and body) and plain calls.

The fidelity tool needs the raw exchange (HTTP status, empty bodies, batches, bad credentials),
which client libraries hide, so it speaks HTTP itself.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from fakenet.errors import RpcError


@dataclass(frozen=True)
class Endpoint:
    url: str
    user: str
    password: str
    name: str

    def post(self, body: bytes, *, password: str | None = None, timeout: float = 30) -> tuple[int, object]:
        """(HTTP status, decoded JSON body or None when the body is empty)."""
        auth = base64.b64encode(f"{self.user}:{self.password if password is None else password}".encode()).decode()
        request = urllib.request.Request(self.url, data=body, headers={"Authorization": f"Basic {auth}",
                                                                        "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _decode(exc.read())

    def call(self, method: str, *params, timeout: float = 120):
        _, reply = self.post(json.dumps({"method": method, "params": list(params), "id": 1}).encode(), timeout=timeout)
        if reply.get("error"):
            raise RpcError(reply["error"]["code"], reply["error"]["message"], node=self.name)
        return reply["result"]


def _decode(body: bytes):
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        return body.decode(errors="replace")  # a plain-text answer (e.g. 405): kept as text
