"""What one call looks like from outside, and the ways two such observations are compared."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fakenet.fidelity.endpoint import Endpoint
from fakenet.fidelity.shape import differences, shape


def exchange(endpoint: Endpoint, payload: Any, **post_args) -> dict:
    """Send `payload` (JSON-encoded unless bytes); the HTTP status and the reply, as observed."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, reply = endpoint.post(body, **post_args)
    return {"http": status, "reply": reply}


def call(endpoint: Endpoint, method: str, *params) -> dict:
    """One bitcoin-core style call: HTTP status, error code and message, result."""
    seen = exchange(endpoint, {"method": method, "params": list(params), "id": 1})
    reply = seen["reply"] if isinstance(seen["reply"], dict) else {}
    error = reply.get("error") or {}
    return {"http": seen["http"], "code": error.get("code"), "message": error.get("message"),
            "result": reply.get("result")}


@dataclass(frozen=True)
class Compare:
    """Which parts of two observations must agree."""

    fields: tuple[str, ...] = ("http", "code")
    shape_of: str | None = "result"  # compared by structure, not value

    def __call__(self, ours: dict, theirs: dict) -> list[str]:
        found = [f"{name}: fakenet {ours.get(name)!r}, Litecoin Core {theirs.get(name)!r}"
                 for name in self.fields if ours.get(name) != theirs.get(name)]
        if self.shape_of:
            found += differences(shape(ours.get(self.shape_of)), shape(theirs.get(self.shape_of)))
        return found


STRUCTURE = Compare()  # HTTP status, error code, and the result's keys and types
VALUE = Compare(fields=("http", "code", "result"), shape_of=None)  # result strings, statuses: exact
ERROR = Compare(fields=("http", "code", "message"), shape_of=None)  # error code and its text
CODE = Compare(fields=("http", "code"), shape_of=None)  # error code (texts are help pages, etc.)
FACTS = Compare(fields=("facts",), shape_of=None)  # a probe's own yes/no findings
