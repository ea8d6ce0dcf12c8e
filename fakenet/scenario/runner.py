"""Run a scenario against a backend: steps in order, a live progress line, a timeline at the end."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fakenet.bundle import verdict
from fakenet.errors import ConfigError
from fakenet.harness.network import Network
from fakenet.harness.timeline import Event
from fakenet.scenario.loader import Scenario, Step, check_kind
from fakenet.scenario.steps import Context


@dataclass
class StepResult:
    step: Step
    ok: bool
    seconds: float
    error: str = ""
    picture: str = ""
    exception: BaseException | None = None  # what raised, for telling whose fault a failure is


@dataclass
class Result:
    scenario: Scenario
    backend: str
    results: list[StepResult] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    seconds: float = 0.0
    setup_error: str = ""
    setup_exception: BaseException | None = None
    kind: str = ""  # what actually ran (the command line may override the scenario's), for the replay line
    seed: int = 0
    nodes: int = 0
    options: dict = field(default_factory=dict)  # the backend's options (hosts: --hosts, --reach…), for the replay line
    teardown_error: str = ""  # the network's close failed after the verdict (it stands; this is said beside it)

    @property
    def ok(self) -> bool:
        return not self.setup_error and all(r.ok for r in self.results) and \
            len(self.results) == len(self.scenario.steps)

    @property
    def failure(self) -> str:
        if self.setup_error:
            return f"{self.scenario.path}: the network did not start: {self.setup_error}"
        failed = next((r for r in self.results if not r.ok), None)
        return f"{self.scenario.path}:{failed.step.line}: step `{failed.step.source}` failed:\n{failed.error}" if failed else ""


def network_for(scenario: Scenario, backend: str, nodes: int | None = None, seed: int | None = None,
                kind: str | None = None, **options) -> Network:
    kind = kind or scenario.kinds[0]
    check_kind(scenario, kind)
    if nodes and nodes != scenario.nodes and not isinstance(scenario.topology, str):
        raise ConfigError(f"{scenario.path}: its topology lists the edges of {scenario.nodes} nodes; "
                          f"it cannot run with {nodes}")
    return Network(nodes or scenario.nodes, backend=backend, topology=scenario.topology, kind=kind,
                   seed=scenario.seed if seed is None else seed, settings=dict(scenario.settings), **options)


def graph_summary(net: Network) -> str:
    down = sorted(net.oracle.model.down)
    return (f"{len(net.up())} up{' (down: ' + ', '.join(down) + ')' if down else ''}, "
            f"{net.oracle.expected_graph().number_of_edges()} links expected, {len(net.fleet.active)} active fault(s)")


def run(scenario: Scenario, backend: str = "local", *, nodes: int | None = None, seed: int | None = None,
        kind: str | None = None,
        on_step: Callable[[int, Step, StepResult | None, Network], None] = lambda *a: None,
        pictures: Path | None = None, keep_on_failure: bool = False, recorder=None, **options) -> Result:
    """`recorder` (fakenet.bundle.Recorder) sees the network after every step and, on a failure,
    before it closes: what a closed network knew (logs, data dirs) is gone."""
    result, started = Result(scenario, backend, options=dict(options)), time.monotonic()
    try:
        net = network_for(scenario, backend, nodes, seed, kind, **options)
    except Exception as exc:  # the run asks for what the scenario cannot be (--nodes against its edges, a kind),
        # the engine the backend needs does not answer (a bad DOCKER_HOST), or a bug: a verdict, as for start()
        result.kind, result.nodes = kind or scenario.kinds[0], nodes or scenario.nodes
        result.seed = scenario.seed if seed is None else seed
        result.setup_error, result.setup_exception = str(exc), exc
        return result
    result.kind, result.seed, result.nodes = net.kind.name, net.seed, len(net.names)
    try:
        net.start()
    except Exception as exc:
        result.setup_error, result.setup_exception = str(exc), exc
        result.seconds = time.monotonic() - started  # "failed in 0.0s" after a minute's wait misled
        if recorder is not None:
            recorder.collect(net, exc)
        _close(net, result)
        return result
    except BaseException:  # Ctrl-C while the nodes start: what the backend made so far must not outlive us
        _close(net, result)
        raise
    try:
        _run_steps(scenario, net, result, on_step, pictures, recorder)
    finally:
        result.timeline = list(net.oracle.timeline)
        result.seconds = time.monotonic() - started
        if recorder is not None and not result.ok:
            recorder.collect(net, next((r.exception for r in result.results if not r.ok), None))
        if result.ok or not keep_on_failure:
            _close(net, result)
    return result


def _close(net: Network, result: Result) -> None:
    """Close the network without raising over the verdict: a teardown that fails (a livelocked sim
    loop raises on every run) is reported beside the result, never instead of it."""
    try:
        net.close()
    except Exception as exc:
        result.teardown_error = f"{type(exc).__name__}: {exc}"


def _run_steps(scenario, net, result, on_step, pictures, recorder=None) -> None:
    ctx = Context(net)
    for index, step in enumerate(scenario.steps):
        on_step(index, step, None, net)
        began = time.monotonic()
        try:
            step.type.run(ctx, step.args)
            outcome = StepResult(step, True, time.monotonic() - began)
        except Exception as exc:  # a step's failure is the scenario's result, whatever raised it
            exc = verdict.ended_first(net, exc)
            outcome = StepResult(step, False, time.monotonic() - began, f"{type(exc).__name__}: {exc}", exception=exc)
        if pictures is not None:
            outcome.picture = _picture(net, pictures, index)
        if recorder is not None:
            recorder.step(net, index)
        result.results.append(outcome)
        on_step(index, step, outcome, net)
        if not outcome.ok:
            return


def _picture(net: Network, folder: Path, index: int) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"step-{index + 1:02d}.png"
    try:
        net.oracle.draw(path)
    except Exception:  # a picture is a nicety: never the reason a scenario fails
        return ""
    return path.name
