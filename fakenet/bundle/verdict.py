"""Whose fault a failure is: the system under test's (an expectation did not hold) or the
infrastructure's (the engine, an image build, a port, a start-up timeout, a bug in a probe).

The rule is the exception's type and when it came: an AssertionError — ExpectationFailed is one —
raised by a step is the system under test's; anything before the first step ran, or any other
exception, is the infrastructure's. The deciding error is kept, in words, with the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM = "system under test"
INFRASTRUCTURE = "infrastructure"


@dataclass(frozen=True)
class Verdict:
    side: str  # SYSTEM, INFRASTRUCTURE, or "" when nothing failed
    error: str  # the deciding error: its type and first line
    where: str = ""  # the step (or "start-up") it came from

    @property
    def failed(self) -> bool:
        return bool(self.side)

    def sentence(self) -> str:
        if not self.failed:
            return "nothing failed"
        whose = "the system under test failed" if self.side == SYSTEM else "the infrastructure failed"
        return f"{whose} ({self.where}): {self.error}"


def decide(error: BaseException | None, *, started: bool, where: str = "") -> Verdict:
    """`started`: the network was up and steps were running when `error` was raised."""
    if error is None:
        return Verdict("", "")
    side = SYSTEM if started and isinstance(error, AssertionError) else INFRASTRUCTURE
    return Verdict(side, first_line(error), where or ("a step" if started else "start-up"))


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else ""
    return f"{type(error).__name__}: {line[:300] + '…' if len(line) > 300 else line}".rstrip(": ")
