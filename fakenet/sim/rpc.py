"""The harness's RPC client for a simulated node: the same `call`, `batch` and `getblockcount()`
as RpcClient, answered by the node's JSON-RPC dispatcher in the simulation's loop, no HTTP.

Requests and replies still go through JSON text, so the harness sees exactly the values an HTTP
client would (no shared objects, the same errors), and a node that is down is unreachable.
"""

from __future__ import annotations

import json

from fakenet.errors import RpcError
from fakenet.harness.rpc import UNREACHABLE, RpcClient

TIMEOUT = 30.0  # network seconds, as RpcClient's HTTP timeout

# Requests and replies through JSON text by json's C encoder and scanner, each made once: json.dumps builds
# its C encoder anew on every call, and json.loads wraps the scanner in two Python layers. The
# harness asks every node of a thousand at each poll of the graph. The same text as json.dumps
# makes (its separators, ASCII only, NaN allowed), read back as json.loads reads it.
_ENCODE = json.encoder.c_make_encoder(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii,
                                      None, ": ", ", ", False, False, True) if json.encoder.c_make_encoder else None
_SCAN = json.JSONDecoder().scan_once


def dumps(value) -> str:
    """json.dumps(value), the same text."""
    return "".join(_ENCODE(value, 0)) if _ENCODE is not None else json.dumps(value)


def through_json(value):
    """`json.loads(json.dumps(value))`: what a client of the node's HTTP RPC would get."""
    if _ENCODE is None:
        return json.loads(json.dumps(value))
    text = dumps(value)
    copy, end = _SCAN(text, 0)
    if end != len(text):
        raise ValueError(f"reply did not encode as one JSON value: {text[:80]!r}")
    return copy


class SimRpc(RpcClient):
    def __init__(self, world, sim_node):
        self.world, self.sim_node = world, sim_node
        self.node, self.url, self.timeout = sim_node.name, f"sim://{sim_node.name}", TIMEOUT

    def close(self) -> None:
        return None

    def _post(self, body, timeout: float | None):
        if not self.sim_node.answering():
            failure = self.sim_node.failure
            why = f"the node failed: {failure!r}" if failure is not None else "the node is not running"
            raise RpcError(UNREACHABLE, f"cannot reach {self.url}: {why}", node=self.node)
        try:
            reply = self.world.run(self.sim_node.call(dumps(body).encode()), self.node,
                                   timeout or self.timeout)
        except TimeoutError as exc:
            raise RpcError(UNREACHABLE, f"{self.url} did not answer in {timeout or self.timeout:g}s of network time",
                           node=self.node, in_process=True) from exc
        return through_json(reply)
