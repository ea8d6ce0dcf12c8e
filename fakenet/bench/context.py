"""What every measurement is handed: the plan, the engine, the node image, and this run's labels.

Everything the bench creates in the engine carries the fakenet labels with this run's id as
(a prefix of) `io.fakenet.run`, so `sweep()` finds it all, whatever failed, and `fake prune`
takes it if the bench itself was killed (the owner label names this process).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Callable

import docker

from fakenet.bench.cleanup import remove
from fakenet.bench.plan import Plan
from fakenet.labels import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value

PROJECT = "fakenet-bench"


@dataclass
class Context:
    plan: Plan
    client: docker.DockerClient
    image: str
    progress: Callable[[str], None] = print
    run_id: str = field(default_factory=lambda: "bench" + secrets.token_hex(3))
    started: float = field(default_factory=time.monotonic)
    stuck: dict[str, str] = field(default_factory=dict)  # resource name -> why the engine kept it
    _serial: int = 0

    def new_run(self) -> str:
        """A fresh `io.fakenet.run` value under this bench run (one per network or container set)."""
        self._serial += 1
        return f"{self.run_id}x{self._serial}"

    def refresh_image(self) -> str:
        """The current node image, built first if the source tree changed since (others edit it too)."""
        from fakenet.image import ensure_image

        self.image = ensure_image(progress=lambda line: None, client=self.client)
        return self.image

    def labels(self, run: str | None = None) -> dict[str, str]:
        return {PROJECT_LABEL: PROJECT, RUN_LABEL: run or self.run_id, OWNER_LABEL: owner_value()}

    def ours(self, labels: dict) -> bool:
        return (labels or {}).get(RUN_LABEL, "").startswith(self.run_id)


def sweep(ctx: Context, run: str | None = None) -> list[str]:
    """Remove every container, network and volume of this bench run (or of one `run` in it) still there."""
    def match(labels) -> bool:
        return (labels or {}).get(RUN_LABEL) == run if run else ctx.ours(labels)

    client, label = ctx.client, {"label": PROJECT_LABEL}
    found = [(c, {"force": True, "v": True}) for c in client.containers.list(all=True, ignore_removed=True, filters=label)
             if match(c.labels)]
    found += [(n, {}) for n in client.networks.list(filters=label) if match(n.attrs.get("Labels"))]
    found += [(v, {"force": True}) for v in client.volumes.list(filters=label) if match(v.attrs.get("Labels"))]
    return [resource.name for resource, options in found if remove(ctx, resource, **options)]
