"""`fake scenario run`: a live line per step (elapsed time, graph summary) and the timeline."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fakenet import terminal
from fakenet.bundle import Recorder, replay
from fakenet.bundle.build import scenario_verdict
from fakenet.scenario import report
from fakenet.scenario.loader import Scenario
from fakenet.scenario.runner import Result, graph_summary, run


def run_with_progress(scenario: Scenario, backend: str, *, nodes=None, seed=None, kind=None,
                      report_dir: Path | None = None, keep: bool = False, console: Console | None = None,
                      **options) -> Result:
    console = console or terminal.console(highlight=False)
    started = time.monotonic()
    status = console.status(f"starting {scenario.nodes} nodes on {backend}…")
    status.start()

    def on_step(index, step, outcome, net):
        elapsed = time.monotonic() - started
        if outcome is None:
            status.update(f"[{elapsed:6.1f}s] step {index + 1}/{len(scenario.steps)} {escape(step.source)}")
            return
        mark = "[green]✓[/]" if outcome.ok else "[red]✗[/]"
        console.print(f"{mark} {escape(f'[{elapsed:6.1f}s]')} {index + 1:2d}. line {step.line:3d}  {escape(step.source)}  "
                      f"[dim]({outcome.seconds:.2f}s; {escape(graph_summary(net))})[/]")

    console.print(f"[bold]{scenario.name}[/] on {backend}: {len(scenario.steps)} steps, seed {seed or scenario.seed}")
    recorder = Recorder() if report_dir is not None else None
    try:
        result = run(scenario, backend, nodes=nodes, seed=seed, kind=kind, on_step=on_step, keep_on_failure=keep,
                     recorder=recorder, **options)
    finally:
        status.stop()
    _timeline(console, result)
    if report_dir is not None:
        archive = report.write(result, report_dir, recorder)
        console.print(f"report: {report_dir / 'index.html'}, {report_dir / 'junit.xml'}"
                      + (f"; bundle: {archive}" if archive else ""))
    console.print(("[green]passed[/]" if result.ok else "[red]failed[/]") + f" in {result.seconds:.1f}s")
    if result.teardown_error:
        console.print(f"teardown failed after the verdict: {result.teardown_error}", markup=False)
    if not result.ok:  # whose fault first (README), then the failure it was decided on
        console.print(f"whose fault: {scenario_verdict(result).sentence()}", markup=False, soft_wrap=True)
        console.print(result.failure, markup=False)
        if report_dir is None:  # the nodes' logs and data dirs went with the network: say how to keep them
            console.print("evidence: none kept; run the replay with --report DIR for the bundle (every node's "
                          "logs, data dirs, timeline, predicted and observed graphs)", markup=False, soft_wrap=True)
        console.print(f"replay: {replay.scenario_command(result)}", markup=False, soft_wrap=True)
    return result


def _timeline(console: Console, result: Result) -> None:
    faults = [e for e in result.timeline if e.kind in ("apply", "undo", "recovered")]
    if not faults:
        return
    table = Table(title="timeline of faults and recoveries", title_justify="left")
    for column in ("at", "event", "what", "took"):
        table.add_column(column)
    for event in faults:
        table.add_row(f"{event.at:.2f}s", event.kind, escape(event.what), f"{event.took:.2f}s")
    console.print(table)
