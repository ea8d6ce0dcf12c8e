"""The fakenet node as objects in the harness's process (the sim backend): its real `Node`, started
with the backend's transport and no HTTP servers, its RPC answered by its own dispatcher.

Its Settings come from the same Launch and settings table (SETTINGS) as the environment the
local and docker backends give a node process, so the three backends run one configuration.
"""

from __future__ import annotations

from pathlib import Path

from fakenet.kinds.base import InProcessNode, Launch, Transport
from fakenet.kinds.fakenet_settings import SETTINGS, swarm_address
from fakenet.node import multiaddr
from fakenet.node.daemon import Node
from fakenet.node.rpc import dispatch
from fakenet.node.settings import Settings


def node_settings(launch: Launch) -> Settings:
    """What the node would read from FAKENET_* variables (fakenet_kind.environment), as Settings."""
    tuned = {SETTINGS[key].lower(): value for key, value in launch.settings.items()}
    base = Settings(datadir=Path(launch.datadir), name=launch.name, network="fakenet", bind=launch.bind,
                    announce=multiaddr.parse(swarm_address(launch.address or launch.bind)).dial_addr,
                    peers=tuple(multiaddr.parse(swarm_address(host)) for _, host in launch.peers),
                    rpcuser=launch.credentials[0], rpcpassword=launch.credentials[1],
                    cluster_secret=launch.secret or None)
    return base._replace(**{key: type(getattr(base, key))(value) for key, value in tuned.items()})


class FakenetInProcess(InProcessNode):
    def __init__(self, launch: Launch, transport: Transport):
        # In memory: a process of thousands of nodes would otherwise hold six files for each.
        self.node = Node(node_settings(launch)._replace(store="memory"), transport, serve_http=False)

    async def run(self) -> None:
        await self.node.run()

    def request_stop(self) -> None:
        self.node.request_stop()

    def answering(self) -> bool:
        return self.node.ready

    async def call(self, request: bytes):
        return (await dispatch.handle(self.node.registry, request)).body

    def halt(self) -> None:
        swarm = getattr(self.node, "swarm", None)
        if swarm is not None:  # the swarm's own guard against a dial loop that swallows its cancel
            swarm.closing = True

    def close_files(self) -> None:
        for name in ("chain", "pins", "model_index", "event_feed"):  # every SQLite store the node opened
            store = getattr(self.node, name, None)
            if store is not None:
                store.close()
