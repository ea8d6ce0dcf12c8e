"""A node as a test sees it: its RPC, API, peers and logs, and stream helpers."""

from __future__ import annotations

from fakenet.harness.chain import Chain
from fakenet.harness.fleet import Fleet
from fakenet.harness.streams import Streams


class Node:
    def __init__(self, fleet: Fleet, name: str):
        fleet.runtime(name)  # refuses a name that is no node of the network
        self._fleet, self.name = fleet, name

    def __repr__(self) -> str:
        return f"<Node {self.name}>"

    @property
    def runtime(self):
        return self._fleet.runtime(self.name)

    def rpc(self, method: str | None = None, *params):
        """`node.rpc()` is the client; `node.rpc("getblockcount")` calls a method."""
        client = self.runtime.rpc
        return client if method is None else client.call(method, *params)

    @property
    def client(self):
        """The node kind's typed client (identity, peers, and the kind's capabilities)."""
        return self.runtime.client

    @property
    def api(self):
        """The stream HTTP API (a kind serving one on the "api" port)."""
        from fakenet.harness.api_client import ApiClient

        return ApiClient(self.runtime.url("api"), self.name)

    def url(self, role: str) -> str:
        return self.runtime.url(role)

    def identity(self) -> str:
        return self.client.identity()

    def peers(self) -> set[str]:
        """Names of the nodes it is connected to (matched by their identities in the model)."""
        names = {identity: name for name, identity in self._fleet.model.identity.items()}
        return {names[i] for i in self.client.peer_identities() if i in names}

    def logs(self, tail: int = 20) -> list[str]:
        return self.runtime.logs(tail)

    # streams and chain, recorded in the network's model (net.streams, net.chain for one node)
    def create_stream(self, content=None, pin: bool = False) -> str:
        return Streams(self._fleet).create(self.name, content, pin)

    def load_stream(self, stream_id: str) -> dict:
        return Streams(self._fleet).load(self.name, stream_id)

    def update_stream(self, stream_id: str, content) -> dict:
        return Streams(self._fleet).update(self.name, stream_id, content)

    def pin_stream(self, stream_id: str) -> None:
        Streams(self._fleet).pin(self.name, stream_id)

    def unpin_stream(self, stream_id: str) -> None:
        Streams(self._fleet).unpin(self.name, stream_id)

    def mine(self, blocks: int = 1) -> list[str]:
        return Chain(self._fleet).mine(self.name, blocks)
