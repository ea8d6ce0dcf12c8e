"""The scenario suite's wall time: `pytest scenarios -n N --fakenet-backend B`, as CI runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Iterator

from fakenet import compose
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import guarded
from fakenet.bench.plan import QUICK_SKIPS
from fakenet.bench.timing import timed

GOAL_N2 = 90.0  # set when the suite had 8 scenarios (52.5 s then): each figure's note gives the time per scenario
TIMEOUT = 1800


def command(workers: int, backend: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "scenarios", "-n", str(workers), "--fakenet-backend", backend,
            "-q", "-p", "no:cacheprovider"]


def outcome(output: str) -> str:
    """pytest's last summary line, e.g. "8 passed in 76.57s" → "8 passed"."""
    found = re.findall(r"=*\s*([0-9][^=\n]*?) in [0-9.]+s", output)
    return found[-1].strip() if found else "no pytest summary"


def items(summary: str) -> int:
    """How many items pytest's summary counts ("1 failed, 7 passed" → 8); 0 for none."""
    return sum(int(count) for count in re.findall(r"(\d+) (?:passed|failed|errors?|skipped|xfailed|xpassed)", summary))


def per_item(runs: list[tuple[float, str]]) -> str:
    """The runs' mean seconds a scenario, so that a suite grown since its goal was set reads as what it is."""
    counted = [(took, items(summary)) for took, summary in runs]
    if not counted or any(count == 0 for _, count in counted):
        return ""
    return f"{sum(took / count for took, count in counted) / len(counted):.1f} s a scenario"


def wall_time(workers: int, backend: str) -> tuple[float, str]:
    result, took = timed(lambda: subprocess.run(command(workers, backend), cwd=compose.REPO, capture_output=True,
                                                text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT))
    return took, outcome(result.stdout)


def skip_reason(ctx: Context, workers: int, backend: str) -> str:
    if workers not in ctx.plan.suite_workers:
        return QUICK_SKIPS["suite-n1"]
    if backend not in ctx.plan.suite_backends:
        return QUICK_SKIPS["suite-local"]
    return ""


def measure(ctx: Context, figure: Figure, workers: int, backend: str) -> list[Figure]:
    runs = [wall_time(workers, backend) for _ in range(ctx.plan.suite_runs)]
    ctx.progress(f"{figure.label}: " + ", ".join(f"{t:.1f} s ({o})" for t, o in runs))
    notes = sorted({o for _, o in runs})
    if each := per_item(runs):
        notes.append(each)
    return [figure.with_samples([t for t, _ in runs], note="; ".join(notes))]


def figures(ctx: Context) -> Iterator[Figure]:
    for backend in ("docker", "local"):
        for workers in (1, 2):
            figure = spec(f"suite.{backend}.n{workers}", "scenario suite",
                          f"`pytest scenarios -n {workers} --fakenet-backend {backend}`", "s",
                          goal=GOAL_N2 if workers == 2 and backend == "docker" else None)
            reason = skip_reason(ctx, workers, backend)
            if reason:
                yield figure.not_measured(reason)
            else:
                yield from guarded([figure], lambda: measure(ctx, figure, workers, backend), ctx.progress)
