"""A Bundle from each place a failure shows up: a scenario run, a test using the `fakenet_network`
fixture, and a running `./fake up` network (`fake dump`, where nothing failed)."""

from __future__ import annotations

from pathlib import Path

from fakenet.bundle import replay
from fakenet.bundle.evidence import gather
from fakenet.bundle.manifest import facts
from fakenet.bundle.record import Bundle, Recorder, StepRow
from fakenet.bundle.verdict import Verdict, decide, ended_first
from fakenet.errors import ModelRefused


def scenario_verdict(result) -> Verdict:
    failed = next((r for r in result.results if not r.ok), None)
    if result.setup_error:
        return decide(result.setup_exception or RuntimeError(result.setup_error), started=False, where="start-up")
    if failed is None:
        return Verdict("", "")
    number = result.results.index(failed) + 1
    return decide(failed.exception or RuntimeError(failed.error), started=True,
                  where=f"step {number}, line {failed.step.line}: {failed.step.source}")


def from_scenario(result, recorder: Recorder) -> Bundle:
    scenario = result.scenario
    failed = next((r for r in result.results if not r.ok), None)
    verdict = scenario_verdict(result)
    rows = []
    for index, step in enumerate(scenario.steps):
        outcome = result.results[index] if index < len(result.results) else None
        status = "skipped" if outcome is None else ("passed" if outcome.ok else "failed")
        rows.append(StepRow(index + 1, step.line, step.source, status, outcome.seconds if outcome else 0.0,
                            outcome.error if outcome else "", recorder.snapshots.get(index)))
    exception = result.setup_exception or (failed.exception if failed else None)
    return _bundle(recorder, f"{scenario.name}", result.backend, result.kind, result.seed, verdict,
                   replay=replay.scenario_command(result) if not result.ok else "", failure=result.failure,
                   exception=exception, steps=rows, timeline=result.timeline, seconds=result.seconds,
                   description=scenario.description, scenario_path=scenario.path, scenario_text=_text(scenario.path))


def from_test(nodeid: str, net, error: BaseException | None, started: bool, recorder: Recorder,
              seconds: float = 0.0, root=None) -> Bundle:
    """`root`: pytest's rootdir, which `nodeid` is relative to (for a replay line that works from anywhere)."""
    error = ended_first(net, error, started)  # a node someone else killed: neither the test's nor the node's fault
    verdict = decide(error, started=started, where="the test" if started else "start-up")
    return _bundle(recorder, nodeid, net.backend.name, net.kind.name, net.seed, verdict,
                   replay=replay.pytest_command(nodeid, net.backend.name, root), failure=str(error or ""),
                   exception=error, timeline=list(net.oracle.timeline), seconds=seconds)


def from_network(net, title: str) -> Bundle:
    """A running network as it is now: its evidence, no steps, no verdict."""
    recorder = Recorder()
    recorder.facts, recorder.evidence = facts(net), gather(net)
    return _bundle(recorder, title, net.backend.name, net.kind.name, net.seed, Verdict("", ""),
                   timeline=list(net.oracle.timeline), predicted=False)


def _bundle(recorder: Recorder, title, backend, kind, seed, verdict, *, exception=None, **fields) -> Bundle:
    data = failure_data(exception)
    return Bundle(title, backend, kind, seed, recorder.facts.get("nodes", []),
                  [tuple(edge) for edge in recorder.facts.get("topology", [])], verdict, failure_data=data,
                  evidence=recorder.evidence, facts=recorder.facts, **fields)


def _text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:  # parsed from a string (tests), or gone since: the manifest still names it
        return ""


def failure_data(exception: BaseException | None) -> dict:
    """What the model predicted and what the nodes were observed to do, never one standing in for
    the other; `asked` is what a refused expectation wanted (the model predicted otherwise)."""
    if exception is None or not hasattr(exception, "predicted"):
        return {}
    data = {"predicted": exception.predicted, "observed": exception.observed, "difference": exception.difference}
    if isinstance(exception, ModelRefused):
        data = {"asked": exception.expected, **data}
    return {key: value for key, value in data.items() if value is not None}
