"""Removing what the bench made, when the engine is slow to let go.

Under load the engine can refuse for a moment (a network whose endpoints are still being
released), so each removal is retried for a few seconds. What it still refuses after that
(Docker 20.10 can keep a stale endpoint until the daemon restarts) is reported, not fatal:
the figures were measured; the leftover is listed at the end and in the JSON.
"""

from __future__ import annotations

from typing import Callable, Protocol

import docker.errors

from fakenet.errors import WaitTimeout
from fakenet.harness.waits import wait_for

RETRY = 10.0


class Notes(Protocol):
    """Where a removal that stays stuck is noted (the bench's Context)."""

    stuck: dict[str, str]
    progress: Callable[[str], None]


def remove(ctx: Notes, resource, **options) -> bool:
    """True once `resource` is gone (or was already); False, with a note in `ctx.stuck`, if it stays."""
    def gone() -> bool:
        try:
            resource.remove(**options)
        except docker.errors.NotFound:
            pass  # someone (compose, prune) was first
        return True

    name = getattr(resource, "name", None) or resource.id[:12]
    try:
        wait_for(gone, bool, timeout=RETRY, expected=f"{name} removed")
    except WaitTimeout as exc:
        cause = exc.__cause__ or exc
        ctx.stuck[name] = getattr(cause, "explanation", None) or str(cause).splitlines()[0]
        ctx.progress(f"could not remove {name}: {ctx.stuck[name]}")
        return False
    return True
