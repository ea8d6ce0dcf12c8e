"""What every measurement is handed: the plan, the engine, the node image, and this run's labels.

Everything the bench creates in the engine carries the fakenet labels with this run's id as
(a prefix of) `io.fakenet.run`, so `sweep()` finds it all, whatever failed, and `fake prune`
takes it if the bench itself was killed (the owner label names this process).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Callable

import docker

from fakenet.bench.plan import Plan
from fakenet.prune import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value

PROJECT = "fakenet-bench"


@dataclass
class Context:
    plan: Plan
    client: docker.DockerClient
    image: str
    progress: Callable[[str], None] = print
    run_id: str = field(default_factory=lambda: "bench" + secrets.token_hex(3))
    _serial: int = 0

    def new_run(self) -> str:
        """A fresh `io.fakenet.run` value under this bench run (one per network or container set)."""
        self._serial += 1
        return f"{self.run_id}x{self._serial}"

    def labels(self, run: str | None = None) -> dict[str, str]:
        return {PROJECT_LABEL: PROJECT, RUN_LABEL: run or self.run_id, OWNER_LABEL: owner_value()}

    def ours(self, labels: dict) -> bool:
        return (labels or {}).get(RUN_LABEL, "").startswith(self.run_id)


def sweep(ctx: Context, run: str | None = None) -> list[str]:
    """Remove every container, network and volume of this bench run (or of one `run` in it) still there."""
    def match(labels) -> bool:
        return (labels or {}).get(RUN_LABEL) == run if run else ctx.ours(labels)

    client, removed = ctx.client, []
    for container in client.containers.list(all=True, filters={"label": PROJECT_LABEL}):
        if match(container.labels):
            container.remove(force=True, v=True)
            removed.append(container.name)
    for network in client.networks.list(filters={"label": PROJECT_LABEL}):
        if match(network.attrs.get("Labels")):
            network.remove()
            removed.append(network.name)
    for volume in client.volumes.list(filters={"label": PROJECT_LABEL}):
        if match(volume.attrs.get("Labels")):
            volume.remove(force=True)
            removed.append(volume.name)
    return removed
