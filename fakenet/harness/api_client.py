"""A small client of a node's stream HTTP API (7007), as an application would use it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from fakenet.errors import FakenetError


class ApiError(FakenetError):
    def __init__(self, status: int, message: str, node: str | None = None):
        super().__init__(f"HTTP {status}: {message}", node=node)
        self.status = status


class ApiClient:
    def __init__(self, base_url: str, node: str | None = None, timeout: float = 30):
        self.base_url, self.node, self.timeout = base_url.rstrip("/"), node, timeout

    def request(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                message = json.load(exc).get("error", exc.reason)
            except ValueError:
                message = exc.reason
            raise ApiError(exc.code, message, self.node) from exc

    def create(self, content, pin: bool = False) -> dict:
        return self.request("POST", "/api/v0/streams", {"content": content, "opts": {"pin": pin}})

    def create_genesis(self, cid, data: bytes) -> dict:
        return self.request("POST", "/api/v0/streams", {"genesis": data.hex(), "cid": str(cid)})

    def load(self, stream_id: str) -> dict:
        return self.request("GET", f"/api/v0/streams/{stream_id}")

    def commit(self, stream_id: str, cid, data: bytes) -> dict:
        return self.request("POST", "/api/v0/commits", {"streamId": stream_id, "commit": data.hex(), "cid": str(cid)})

    def pins(self) -> list[str]:
        return self.request("GET", "/api/v0/pins")["pinnedStreamIds"]

    def pin(self, stream_id: str) -> dict:
        return self.request("POST", f"/api/v0/pins/{stream_id}")
