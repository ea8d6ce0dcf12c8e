"""Shrinking a counterexample: drop chunks of steps (halves, then quarters, … then single steps)
and keep any shorter list that still fails the same way when replayed as a scenario."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

import yaml

from fakenet.scenario import ScenarioError, parse
from fakenet.scenario.runner import run
from fakenet.soak.runner import SoakResult, scenario_document


def fails(result: SoakResult, backend: str) -> str:
    """The failure of a replay ("" if it passed, or the candidate is not a valid scenario)."""
    try:
        scenario = parse(yaml.safe_dump(scenario_document(result)), f"soak-{result.seed}.yaml")
    except ScenarioError:
        return ""  # e.g. a step names a stream set whose create was dropped
    replayed = run(scenario, backend)
    if replayed.ok or replayed.setup_error:
        return ""
    failed = next(r for r in replayed.results if not r.ok)
    return failed.error if failed.step.type.kind == "expect" else ""


def shrink(result: SoakResult, backend: str, budget: float = 600.0,
           progress: Callable[[str], None] = lambda _: None) -> SoakResult:
    started, steps = time.monotonic(), list(result.steps)
    chunk = max(1, len(steps) // 2)
    while chunk >= 1 and time.monotonic() - started < budget:
        shrunk = False
        for start in range(0, len(steps), chunk):
            if time.monotonic() - started >= budget:
                break
            candidate = steps[:start] + steps[start + chunk:]
            if not candidate:
                continue
            failure = fails(replace(result, steps=candidate), backend)
            if failure:
                steps, shrunk = candidate, True
                result = replace(result, steps=steps, failure=failure)
                progress(f"shrunk to {len(steps)} steps")
                break
        if not shrunk:
            chunk //= 2
    return result
