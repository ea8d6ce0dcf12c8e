"""Whose fault a failure is, one of four:

    system under test   a node contradicted the model (an expectation observed the nodes and differed), or
                        refused what a step asked of it (an RPC error it answered: whether the refusal is
                        right, its message says)
    scenario            the scenario or test asked for the impossible or named what is not there: the model
                        refuses the expectation (no node was asked), a prediction the chain rules leave
                        open, an unknown name, a bad setting, a deadline that passed at the wait's first
                        look in a step (the nodes had no time), or the test's own code raised
    infrastructure      the engine, a host, a port, resources, a start-up that timed out, a node ended from
                        outside the run (SIGKILL, the OOM killer, its container removed) while it should run
    harness             fakenet's own bug: an unexpected exception raised inside fakenet

The rule is the exception's type, when it came, and where it was raised (the innermost frame
inside fakenet or outside it). The deciding error is kept, in words, with the verdict.
"""

from __future__ import annotations

import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path

import fakenet
from fakenet.harness import ended
from fakenet.errors import (ConfigError, ExpectationFailed, FakenetError, ModelRefused, NodeGone, RpcError,
                            WaitTimeout)

SYSTEM = "system under test"
SCENARIO = "scenario"
INFRASTRUCTURE = "infrastructure"
HARNESS = "harness"

PACKAGE = Path(fakenet.__file__).resolve().parent
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
# Raised by the world around fakenet, not by fakenet or the test: an engine or a host that failed.
INFRASTRUCTURE_ERRORS = (OSError, MemoryError, TimeoutError)

WHY = {SYSTEM: "a node contradicted the model",
       SCENARIO: "the scenario or test asks for what the model refuses or names what is not there, "
                 "or gives the nodes no time to get there",
       INFRASTRUCTURE: "the engine, a host or resources failed; no node was found wrong",
       HARNESS: "fakenet itself raised an unexpected error: a bug to report"}


@dataclass(frozen=True)
class Verdict:
    side: str  # SYSTEM, SCENARIO, INFRASTRUCTURE, HARNESS, or "" when nothing failed
    error: str  # the deciding error: its type and first line
    where: str = ""  # the step (or "start-up") it came from

    @property
    def failed(self) -> bool:
        return bool(self.side)

    @property
    def why(self) -> str:
        return WHY.get(self.side, "")

    def sentence(self) -> str:
        if not self.failed:
            return "nothing failed"
        return f"the {self.side} failed ({self.where}): {self.error}"


def decide(error: BaseException | None, *, started: bool, where: str = "") -> Verdict:
    """`started`: the network was up and steps were running when `error` was raised."""
    if error is None:
        return Verdict("", "")
    return Verdict(side(error, started), first_line(error), where or ("a step" if started else "start-up"))


def ended_first(net, error: BaseException | None, started: bool = True) -> BaseException | None:
    """A node the model has up that ended (a SIGKILL from someone else, or its own crash) explains what
    was then seen (an unreachable node, a graph without it): said first, the error seen as its cause.
    A scenario's own mistake or a harness bug stays what it is."""
    if error is None or isinstance(error, NodeGone) or side(error, started) not in (SYSTEM, INFRASTRUCTURE):
        return error  # a NodeGone already says who: a wait that saw the network go
    endings = ended.of_network(net)
    if not endings:
        return error
    gone = NodeGone("; ".join(e.sentence() for e in endings) + f"; then: {type(error).__name__}: {error}",
                    outside=all(e.outside for e in endings), node=endings[0].node)
    gone.__cause__ = error
    return gone


def side(error: BaseException, started: bool) -> str:
    if isinstance(error, NodeGone):  # whatever the step then saw, the node's ending is the news
        return INFRASTRUCTURE if error.outside else SYSTEM
    if _scenario_error(error, started):
        return SCENARIO
    if isinstance(error, RpcError) and (error.answered or error.in_process) and started:
        # The engine carried the call and the answer: the node refused what a step asked; or nothing but
        # the node stood between (sim): an answer that never came is the node's own.
        return SYSTEM
    if isinstance(error, FakenetError) and not isinstance(error, ExpectationFailed):
        return INFRASTRUCTURE
    if not started:  # before any step, nothing was asked of a node yet
        return INFRASTRUCTURE if isinstance(error, (FakenetError, AssertionError)) else _unexpected(error)
    if isinstance(error, ExpectationFailed):
        return SYSTEM
    return _unexpected(error)


def _scenario_error(error: BaseException, started: bool) -> bool:
    """A step's wait given no time is the step's `within:`; a start-up's is a start-up that timed out (the
    infrastructure's): whether its one look was answered or refused is the machine's timing, not the asker's."""
    from fakenet.harness.chain_model import AmbiguousChain

    return isinstance(error, (ModelRefused, AmbiguousChain, ConfigError)) or (started and _no_time(error))


def _no_time(error: BaseException) -> bool:
    """A wait (an expectation's, in its causes) whose deadline passed at its first look, answered:
    `within: 1ms` gave the nodes no time, whatever they would have done."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, WaitTimeout):
            return error.no_time
        error = error.__cause__
    return False


def _unexpected(error: BaseException) -> str:
    """Not a FakenetError: the world's if the OS says so, else whoever's code raised it."""
    if isinstance(error, INFRASTRUCTURE_ERRORS) or _from_library(error, ("docker", "requests", "urllib3", "httpx")):
        return INFRASTRUCTURE
    inside = raised_inside_fakenet(error)
    if isinstance(error, AssertionError) and not inside:
        return SYSTEM  # the test's own assert about the nodes
    return HARNESS if inside else SCENARIO


def raised_inside_fakenet(error: BaseException) -> bool:
    """Whether the innermost frame of our own or the user's code that raised it is fakenet's."""
    frames = [Path(frame.filename).resolve() for frame in traceback.extract_tb(error.__traceback__)]
    ours_or_theirs = [path for path in frames if PACKAGE in path.parents or not _library(path)]
    return bool(ours_or_theirs) and PACKAGE in ours_or_theirs[-1].parents


def _library(path: Path) -> bool:
    """Python's own modules and installed packages: neither ours nor the user's."""
    return bool({"site-packages", "dist-packages"} & set(path.parts)) or STDLIB in path.parents


def _from_library(error: BaseException, libraries: tuple[str, ...]) -> bool:
    return type(error).__module__.split(".")[0] in libraries


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else ""
    return f"{type(error).__name__}: {line[:300] + '…' if len(line) > 300 else line}".rstrip(": ")
