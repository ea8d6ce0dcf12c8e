"""A node as a test sees it: its RPC, API, peers and logs, and stream helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakenet.harness.network import Network


class Node:
    def __init__(self, network: Network, name: str):
        self.network, self.name = network, name

    def __repr__(self) -> str:
        return f"<Node {self.name}>"

    @property
    def runtime(self):
        return self.network.runtime(self.name)

    def rpc(self, method: str | None = None, *params):
        """`node.rpc()` is the client; `node.rpc("getblockcount")` calls a method."""
        client = self.runtime.rpc
        return client if method is None else client.call(method, *params)

    @property
    def api(self):
        return self.runtime.api

    def getinfo(self) -> dict:
        net, chain = self.rpc("getnetworkinfo"), self.rpc("getblockchaininfo")
        return {"peerid": net["peerid"], "blocks": chain["blocks"], "bestblockhash": chain["bestblockhash"],
                "chainwork": chain["chainwork"], "connections": net["connections"]}

    def peers(self) -> set[str]:
        return {peer["name"] for peer in self.rpc("getpeerinfo")}

    def logs(self, tail: int = 20) -> list[str]:
        return self.runtime.logs(tail)

    def is_up(self) -> bool:
        return self.name not in self.network.model.down

    # streams, recorded in the network's model
    def create_stream(self, content=None, pin: bool = False) -> str:
        return self.network.create_stream(self.name, content, pin)

    def load_stream(self, stream_id: str) -> dict:
        return self.network.load_stream(self.name, stream_id)

    def update_stream(self, stream_id: str, content) -> dict:
        return self.network.update_stream(self.name, stream_id, content)

    def pin_stream(self, stream_id: str) -> None:
        self.network.pin_stream(self.name, stream_id)

    def cache_info(self) -> dict:
        return self.rpc("getcacheinfo")
