"""One engine question shared by every wait that asks it, none of them held past the time it can spare.

DockerBackend.lost() is asked before each look of every wait. It held a lock across its engine calls,
whose only bound was the SDK's timeout (60 s): behind an engine that did not answer, a wait with 10 s
left overran its deadline by most of a minute, and every other wait queued on the lock behind it. Here
the question runs on a thread of its own, one at a time; a caller waits for it at most `within`
seconds, then hears EngineSilent and goes on with its own look at the nodes. Once one caller has given
up on a look, later ones are told at once instead of each waiting out its bound again: the engine's
silence is known until that look ends. A caller that asks while a look is under way shares its answer,
fresh or not: it is the newest there will be.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

from fakenet.errors import EngineSilent

T = TypeVar("T")


class _Look(Generic[T]):
    def __init__(self, ask: Callable[[], T], done: Callable[[_Look], None]):
        self.started = time.monotonic()
        self.finished = threading.Event()
        self.given_up = False  # a caller's `within` ran out before the answer came
        self.answer: T | None = None
        self.error: BaseException | None = None
        threading.Thread(target=self._run, args=(ask, done), daemon=True, name="fakenet-engine-look").start()

    def _run(self, ask: Callable[[], T], done: Callable[[_Look], None]) -> None:
        try:
            self.answer = ask()
        except BaseException as exc:  # raised on the caller's thread (a bug in the look is not swallowed)
            self.error = exc
        finally:
            done(self)
            self.finished.set()


class SharedLook(Generic[T]):
    """`ask()` (the engine's answer), asked again once the last answer is `every` seconds old."""

    def __init__(self, ask: Callable[[], T], initial: T, what: str):
        self._ask, self._what = ask, what
        self._lock = threading.Lock()  # held only to read or start a look, never across one
        self._last: tuple[float, T] = (float("-inf"), initial)
        self._current: _Look[T] | None = None

    def get(self, every: float, fresh: bool = False, within: float | None = None) -> T:
        """The last answer if younger than `every` seconds (unless `fresh`), else the one a look gives;
        EngineSilent if that takes longer than `within` seconds (None: as long as it takes)."""
        with self._lock:
            look = self._current
            if look is None:
                at, answer = self._last
                if not fresh and time.monotonic() - at < every:
                    return answer
                look = self._current = _Look(self._ask, self._done)
        if look.given_up and not look.finished.is_set():
            raise self._silent(look)
        if not look.finished.wait(within):
            look.given_up = True
            raise self._silent(look)
        if look.error is not None:
            raise look.error
        return look.answer

    def _done(self, look: _Look[T]) -> None:
        with self._lock:
            if look.error is None:
                self._last = (time.monotonic(), look.answer)
            self._current = None

    def _silent(self, look: _Look[T]) -> EngineSilent:
        return EngineSilent(f"the engine did not answer {self._what} (asked {time.monotonic() - look.started:.1f}s ago)")
