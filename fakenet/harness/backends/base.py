"""What a backend must do for the harness: run a node of some kind, hurt it, and filter its links.

The backend owns *where* a node runs (a process, a container); the node kind owns *what* runs
(fakenet/kinds). A runtime reaches its node through the kind's client, built on one RpcClient.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from fakenet.errors import ConfigError
from fakenet.kinds.base import NodeClient, NodeKind

if TYPE_CHECKING:  # requests: `./fake up` names the backends before compose runs, and uses none of them
    from fakenet.harness.rpc import RpcClient


@dataclass(frozen=True)
class NodeSpec:
    name: str
    peers: tuple[str, ...]  # node names this node dials
    settings: Mapping[str, object] = field(default_factory=dict)  # the kind's settings, e.g. {"cache_limit": 500}


@dataclass(frozen=True)
class LinkRules:
    """What one node's links should look like now, by peer name: cut peers, and lossy or slow ones."""

    blocked: frozenset[str] = frozenset()
    loss: tuple[tuple[str, float], ...] = ()  # (peer, probability)
    delay: tuple[tuple[str, float], ...] = ()  # (peer, milliseconds)
    seed: int = 0  # loss decisions are drawn from RNGs derived from it


class NodeRuntime(ABC):
    """One node as a backend runs it."""

    name: str
    kind: NodeKind

    @property
    @abstractmethod
    def rpc(self) -> RpcClient: ...

    def ended(self):
        """A fakenet.harness.ended.Ending if the node's process or container has ended, else None
        (also where the backend cannot tell)."""
        return None

    @property
    def client(self) -> NodeClient:
        """The kind's typed client over this node's RPC (rebuilt when the RPC client is)."""
        rpc = self.rpc
        if getattr(self, "_client_for", None) is not rpc:
            self._client, self._client_for = self.kind.client(rpc), rpc
        return self._client

    @abstractmethod
    def url(self, role: str) -> str:
        """http://host:port of one of the kind's ports (by role: "rpc", "api", …) as the harness reaches it."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def pause(self) -> None: ...

    @abstractmethod
    def unpause(self) -> None: ...

    @abstractmethod
    def logs(self, tail: int = 20) -> list[str]: ...

    @abstractmethod
    def read_identity(self) -> bytes | None:
        """The kind's identity file, or None where there is none."""

    @abstractmethod
    def write_identity(self, data: bytes | None) -> None:
        """Replace the identity file (None deletes it: the next start makes a new identity)."""

    @abstractmethod
    def set_links(self, rules: LinkRules, identities: Mapping[str, str]) -> str:
        """Make the node's links match `rules` (identities: peer name -> identity); return how."""


class DataDirIdentity:
    """read_identity and write_identity for runtimes whose data dir this process can reach (local
    processes, sim nodes): the kind's identity file in `data_dir()`, private (0600) as the node's own."""

    kind: NodeKind

    def data_dir(self) -> Path:
        raise NotImplementedError

    def _identity_path(self) -> Path:
        if not self.kind.identity_file:
            raise ConfigError(f"node kind {self.kind.name!r} has no identity file")
        return self.data_dir() / self.kind.identity_file

    def read_identity(self) -> bytes | None:
        path = self._identity_path()
        return path.read_bytes() if path.exists() else None

    def write_identity(self, data: bytes | None) -> None:
        path = self._identity_path()
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)
            path.chmod(0o600)


class Backend(ABC):
    name: str
    can_pause = True  # whether a node can be frozen (SIGSTOP, docker pause); soak draws pauses only where so
    serves_http = True  # nodes' HTTP ports (7007, 5101) are reachable; soak draws ceramic-one steps only where so
    # Whether Network starts nodes from a thread pool: container starts are slow, so overlap them; a
    # process starts in the calling thread, since its parent-death signal is tied to that thread.
    parallel_start = False

    @abstractmethod
    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]: ...

    @abstractmethod
    def close(self) -> None:
        """Remove every process, container, network and volume this backend made."""

    def lost(self, fresh: bool = False, within: float | None = None) -> list:
        """fakenet.harness.ended.Endings of what took the nodes' network away under the run (a docker
        network removed), asked between a wait's looks: cheap, and [] where nothing can be said.
        `within`: the seconds the asker can wait for the answer (EngineSilent past them)."""
        return []


def node_filter(runtime: NodeRuntime, rules: LinkRules, identities: Mapping[str, str]) -> str:
    """Steer links with the node's own filter (kinds with link control), peers by identity."""
    ids = lambda peers: {identities[p]: value for p, value in peers if p in identities}
    blocked = {identities[p] for p in rules.blocked if p in identities}
    return runtime.client.set_links(blocked, ids(rules.loss), ids(rules.delay), rules.seed)


def container_credentials(kind: NodeKind, container) -> tuple[str, str]:
    """The RPC login in a container's environment (a docker SDK container, or one engine_socket listed:
    `up`'s wait reads it without the SDK)."""
    env = dict(item.split("=", 1) for item in container.attrs["Config"].get("Env") or [] if "=" in item)
    found = kind.credentials(env)
    if found is None:
        raise ConfigError(f"container {container.name} has no RPC credentials in its environment")
    return found
