"""The tiny peer (tinypeer.py) as a fakenet node kind, registered through the `fakenet.kinds` entry
point by tests/integration/test_node_kinds.py: what a third party would write for its own node."""

import sys
from pathlib import Path

from fakenet.kinds import Launch, NodeClient, NodeKind
from fakenet.kinds.base import InProcessNode

PROGRAM = Path(__file__).with_name("tinypeer.py")


class TinyPeerClient(NodeClient):
    def ready(self) -> bool:
        return bool(self.rpc.identity())

    def identity(self) -> str:
        return self.rpc.identity()

    def peer_identities(self) -> set[str]:
        return set(self.rpc.peers())

    def set_links(self, blocked, loss, delay, seed) -> str:
        if loss or delay:
            raise NotImplementedError("the tiny peer only cuts links")
        self.rpc.setlinks(sorted(blocked))
        return "tinypeer's own link cuts"


class TinyPeerKind(NodeKind):
    name = "tinypeer"
    capabilities = frozenset()
    ports = {"rpc": 7100, "swarm": 7101}
    link_control = True

    def environment(self, launch: Launch) -> dict[str, str]:
        self.check_settings(launch.settings)
        return {"TINY_DATADIR": launch.datadir, "TINY_BIND": launch.bind, "TINY_SWARM_PORT": str(self.ports["swarm"]),
                "TINY_RPC_PORT": str(self.ports["rpc"]), "TINY_PEERS": " ".join(host for _, host in launch.peers),
                "TINY_RPC_USER": launch.credentials[0], "TINY_RPC_PASSWORD": launch.credentials[1]}

    def local_command(self, launch: Launch) -> list[str]:
        return [sys.executable, str(PROGRAM)]

    def client(self, rpc) -> TinyPeerClient:
        return TinyPeerClient(rpc)

    def in_process_node(self, launch: Launch, transport) -> InProcessNode:
        """The same peer on the sim backend: its program's classes, given this launch's environment."""
        sys.path.insert(0, str(PROGRAM.parent))
        from tinypeer import InProcessPeer

        return InProcessPeer(self.environment(launch), transport)
