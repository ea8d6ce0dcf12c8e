"""The node's one source of random bytes (keys, nonces, query ids).

A real node draws from the OS. Under the sim backend each node's tasks run in a context that
carries that node's RNG, forked from the run's root seed, so a seed replays every key and nonce.
A context variable rather than a global: many nodes share one process, and asyncio copies the
context into every task a node spawns, so each node keeps drawing from its own RNG.
"""

from __future__ import annotations

import os
import random
from contextvars import ContextVar

_rng: ContextVar[random.Random | None] = ContextVar("fakenet_node_rng", default=None)


def token_bytes(n: int) -> bytes:
    rng = _rng.get()
    return os.urandom(n) if rng is None else rng.randbytes(n)


def use(rng: random.Random | None) -> None:
    """Draw from `rng` in the current context (and every task created from it from now on)."""
    _rng.set(rng)
