"""Waiting for a condition: poll with tenacity to a deadline, then say what was expected and seen.

Never a fixed sleep: `wait_for(probe, check, …)` calls `probe()` until `check(observed)` holds.
Only the failures a probe is expected to have while a node starts or recovers are retried
(FakenetError, OSError and timeouts, or what `retry_on` names); any other exception in a probe
— a TypeError, a KeyError — is a bug in the probe and raised at once.

`gone(expected, looks, left)`, asked before each look (`looks`: how many came before, `left`: the seconds
to the deadline), says whether polling can still succeed: an exception to raise at once (Fleet.gone: the
run's network removed under it) or None. Without it a wait polled addresses that no longer existed until
its deadline and blamed the timeout. Where `gone` cannot say because the engine it asks did not answer
in time (EngineSilent), the wait looks at the nodes anyway, and says so if its deadline passes.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, TypeVar

from tenacity import RetryError, Retrying, retry_if_result, wait_exponential

from fakenet.errors import EngineSilent, FakenetError, WaitTimeout
from fakenet.harness import clock

T = TypeVar("T")
EXPECTED_FAILURES = (FakenetError, OSError, TimeoutError)
# Set while the caller of a fan-out is interrupted (Ctrl-C): waits on its worker threads end at
# their next poll instead of polling nodes that died with the same SIGINT until their deadline
# (a start-up wait is 60 s, and the interpreter joins those threads before it exits).
ABANDONED = threading.Event()


def wait_for(probe: Callable[[], T], check: Callable[[T], bool], *, timeout: float, expected: str,
             logs: Callable[[], Iterable[str]] = lambda: (), hint: str = "",
             max_interval: float = 0.25, retry_on: tuple[type[BaseException], ...] = EXPECTED_FAILURES,
             gone: Callable[[str, int], BaseException | None] | None = None) -> tuple[T, float]:
    """Return (the first observation that passes, seconds it took) or raise WaitTimeout.
    Polls back off from 20 ms to `max_interval`: cheap probes can afford a short one."""
    started = clock.monotonic()
    last: list = [None]
    looks, first_look = [0], [0.0]
    errors: list[Exception] = []
    silent: list[EngineSilent | None] = [None]  # the engine's silence at the last look, if it was silent

    def attempt():
        try:
            lost = None if gone is None else gone(expected, looks[0], max(0.0, timeout - (clock.monotonic() - started)))
            silent[0] = None
        except EngineSilent as exc:  # it cannot say whether the nodes' network stands; the nodes may answer
            lost, silent[0] = None, exc
        if lost is not None:  # tenacity raises what an attempt raised: the wait ends here
            raise lost from (errors[-1] if errors else None)
        looks[0] += 1
        try:
            last[0] = probe()
            if looks[0] == 1:
                first_look[0] = clock.monotonic() - started
        except retry_on as exc:  # a node that is still starting answers with errors; keep polling
            errors.append(exc)
            return False
        return check(last[0])

    # The harness clock, not tenacity's: on sim a deadline is network time, and sleeping runs the network.
    retrying = Retrying(stop=lambda _state: clock.monotonic() - started >= timeout or ABANDONED.is_set(),
                        sleep=clock.sleep,
                        wait=wait_exponential(multiplier=0.02, max=max_interval), retry=retry_if_result(lambda ok: not ok))
    try:
        retrying(attempt)
    except RetryError as exc:
        if ABANDONED.is_set():
            raise WaitTimeout(f"abandoned (the caller was interrupted): {expected}") from exc
        timed = WaitTimeout("", looks=looks[0], answered=not errors, first_look=first_look[0])
        if timed.no_time:
            hint = (f"the deadline ({timeout:g}s) passed during the first look ({first_look[0]:.2f}s): the nodes had no "
                    "time to get there; give the step a longer `within:`")
        raise WaitTimeout(_explain(expected, last[0], errors, logs, hint, timeout, silent[0]), looks=looks[0],
                          answered=not errors, first_look=first_look[0], observed=last[0]) \
            from (errors[-1] if errors else exc)
    return last[0], clock.monotonic() - started


def _explain(expected, observed, errors, logs, hint, timeout, silent=None) -> str:
    lines = [f"timed out after {timeout:.1f}s", f"  expected: {expected}", f"  observed: {observed!r}"]
    if errors:
        lines.append(f"  last error: {errors[-1]!r}")
    if silent is not None:
        lines.append(f"  engine: {silent}")
    tail = list(logs())
    if tail:
        lines.append("  recent logs:")
        lines.extend(f"    {line}" for line in tail)
    if hint:
        lines.append(f"  hint: {hint}")
    return "\n".join(lines)
