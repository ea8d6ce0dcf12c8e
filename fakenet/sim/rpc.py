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
            reply = self.world.run(self.sim_node.call(json.dumps(body).encode()), self.node,
                                   timeout or self.timeout)
        except TimeoutError as exc:
            raise RpcError(UNREACHABLE, f"{self.url} did not answer in {timeout or self.timeout:g}s", node=self.node) from exc
        return json.loads(json.dumps(reply))
