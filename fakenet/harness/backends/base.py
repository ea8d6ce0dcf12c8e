"""What a backend must do for the harness: run a node, hurt it, and filter its links."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from fakenet.harness.api import ApiClient
from fakenet.harness.rpc import RpcClient


@dataclass(frozen=True)
class NodeSpec:
    name: str
    peers: tuple[str, ...]  # node names this node dials
    settings: dict = field(default_factory=dict)  # FAKENET_* settings, e.g. {"STREAM_CACHE_LIMIT": 500}


@dataclass(frozen=True)
class LinkRules:
    """What one node's links should look like now: cut peers, and lossy or slow ones."""

    blocked: frozenset[str] = frozenset()
    loss: tuple[tuple[str, float], ...] = ()  # (peer, probability)
    delay: tuple[tuple[str, float], ...] = ()  # (peer, milliseconds)


class NodeRuntime(ABC):
    """One running node as a backend sees it."""

    name: str

    @property
    @abstractmethod
    def rpc(self) -> RpcClient: ...

    @property
    @abstractmethod
    def api(self) -> ApiClient: ...

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
    def read_config(self) -> bytes | None: ...

    @abstractmethod
    def write_config(self, data: bytes | None) -> None:
        """Replace the data dir's `config` (None deletes it: the next start makes a new identity)."""

    @abstractmethod
    def set_links(self, rules: LinkRules) -> str:
        """Make the node's links match `rules`; returns how (e.g. "iptables", "node transport")."""


class Backend(ABC):
    name: str

    @abstractmethod
    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]: ...

    @abstractmethod
    def close(self) -> None:
        """Remove every process, container, network and volume this backend made."""
