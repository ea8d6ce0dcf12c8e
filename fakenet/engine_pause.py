"""Pausing a container where the engine's runc freezes it through cgroup v1: the one place that retries.

runc's cgroup v1 freezer (libcontainer/cgroups/fs/freezer.go, runc PRs #2774 and #2791) writes FROZEN
and reads the state back, up to 1000 times; a process that joins the cgroup meanwhile (an `exec`: the
node's health check, every 10 s, or a harness's shell) keeps it FREEZING, and runc then thaws the
cgroup and answers "unable to freeze" ("this is still a game of chances, so failures are possible";
cgroup v2 has no such race). The engine passes that on as a 500: `Cannot pause container <id>: OCI
runtime pause failed: unable to freeze: unknown`. The container is left running (thawed), so asking
again is safe, and the next try, once the exec has joined, almost always freezes it. Every pause
fakenet makes (the harness's pause fault and scenario step, `./fake pause`, the tests) goes through
freeze() here; the thaw side needs none: runc's cgroup v1 thaw is one write, with no state to race
(unpause, and the engine's unpause of a paused container it kills, fail only for other reasons).
"""

from __future__ import annotations

import time
from typing import Callable

from fakenet import engine_socket
from fakenet.errors import ContainerError

REFUSAL = "unable to freeze"  # runc's words, inside the engine's answer
PATIENCE = 5.0  # seconds of tries in all: one try is runc's up-to-1000 writes (~0.1-0.3 s on a busy host)
FIRST_BACKOFF, LAST_BACKOFF = 0.05, 0.5  # seconds between tries: doubling, so an exec in flight can finish


def explanation(exc: BaseException) -> str | None:
    """The engine's words where `exc` is its refusal, from either client (engine_socket.refusal); None else."""
    refused = engine_socket.refusal(exc)
    return None if refused is None else refused[1]


def freeze(pause: Callable[[], object], what: str, *, node: str | None = None, patience: float | None = None) -> int:
    """Call `pause` (the engine's pause of one container: `container.pause`, `client.api.pause(id)`) until
    the engine does it, trying again while it answers runc's "unable to freeze", for `patience` seconds in
    all (PATIENCE if None, read at the call); the tries it took. Past that, ContainerError (the infrastructure's failure) naming `what` and why.
    Any other refusal (not running, already paused, gone) is raised as it came, at once."""
    patience = PATIENCE if patience is None else patience
    began = time.monotonic()
    backoff, tries = FIRST_BACKOFF, 0
    while True:
        tries += 1
        try:
            pause()
            return tries
        except Exception as exc:
            said = explanation(exc)
            if said is None or REFUSAL not in said:
                raise
            left = patience - (time.monotonic() - began)
            if left <= 0:
                raise ContainerError(
                    f"the engine could not freeze {what} (pause it): runc's cgroup v1 freezer raced a process "
                    f"joining the container (an exec, e.g. its health check) on each of {tries} tries in "
                    f"{time.monotonic() - began:.1f} s; the container was left running. The engine said: {said}",
                    node=node, output=said) from exc
        time.sleep(min(backoff, left))
        backoff = min(backoff * 2, LAST_BACKOFF)
