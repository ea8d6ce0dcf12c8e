"""The harness's clock: real time, or the network time of the sim backend while one runs.

Every deadline the harness keeps (waits, `within:`, the timeline) reads `monotonic()`, and every
poll interval passes through `sleep()`. On sim, sleeping advances the simulated network (the
nodes run meanwhile) and `within: 10s` means ten seconds of network time.
"""

from __future__ import annotations

import time
from typing import Callable

_monotonic: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep
_virtual = False


def monotonic() -> float:
    return _monotonic()


def sleep(seconds: float) -> None:
    _sleep(seconds)


def is_virtual() -> bool:
    return _virtual


def install(monotonic_source: Callable[[], float], sleep_source: Callable[[float], None]) -> None:
    global _monotonic, _sleep, _virtual
    _monotonic, _sleep, _virtual = monotonic_source, sleep_source, True


def reset() -> None:
    global _monotonic, _sleep, _virtual
    _monotonic, _sleep, _virtual = time.monotonic, time.sleep, False
