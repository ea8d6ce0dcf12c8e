"""Mutation testing of the oracle: soak each planted bug (mutants.py) and count the ones it finds.

Each mutant runs in its own process on a copy of the fakenet package with the one file patched,
so nothing of it leaks into this process or the checkout. It is killed when the soak, on the sim
backend with the fixed seeds below, disagrees with the network within the time budget; it
survives when every seed agrees, or when the budget runs out first (said so apart: a slow mutant
is not an equivalent one). The budget is CPU seconds of the soak's process: sim runs on network
time, so the same seeds cost the same CPU on a busy machine, where wall time would not. The
unpatched model runs first: a mutant only counts if the original agrees on the same seeds.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from fakenet.soak.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(1, 26)  # the seeds every mutant is soaked with (CI soaks four mutants on the first four: tests/integration/test_soak.py)
STEPS = 40
BUDGET = 120.0  # CPU seconds one mutant's soak may take
LOCAL_SEEDS, LOCAL_STEPS, LOCAL_NODES = range(130, 134), 30, (4, 5)  # consecutive: one soak runs them
WALL_SLACK = 10  # and wall seconds, as a multiple of that: a hang still ends


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant | None  # None: the unpatched model
    verdict: str  # "killed", "survived", "timeout" or "error"
    seconds: float  # CPU seconds the soak took
    detail: str  # the disagreement that killed it, or why it did not die
    backend: str = "sim"  # where it was soaked

    @property
    def killed(self) -> bool:
        return self.verdict == "killed"


def plan(backend: str) -> tuple[list[int], int, list[str]]:
    """The seeds, steps and extra soak arguments a mutant of `backend` is soaked with."""
    if backend == "sim":
        return list(SEEDS), STEPS, []
    return list(LOCAL_SEEDS), LOCAL_STEPS, ["--min-nodes", str(LOCAL_NODES[0]), "--max-nodes", str(LOCAL_NODES[1])]


def soak_mutant(mutant: Mutant | None, seeds: Iterable[int] | None = None, steps: int | None = None,
                budget: float = BUDGET, backend: str | None = None) -> Outcome:
    backend = backend or (mutant.backend if mutant else "sim")
    planned_seeds, planned_steps, extra = plan(backend)
    seeds, steps = list(seeds or planned_seeds), steps or planned_steps
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    # The sim's data dirs go in a directory removed here: a soak killed at its CPU limit cannot.
    with tempfile.TemporaryDirectory(prefix="fakenet-mutant-") as tmp, \
            tempfile.TemporaryDirectory(prefix="fakenet-mutant-sim-", dir=shm) as sim_tmp:
        _copy_package(Path(tmp), mutant)
        command = [sys.executable, "-m", "fakenet", "soak", "--backend", backend, "--seed", str(seeds[0]),
                   "--runs", str(len(seeds)), "--steps", str(steps), "--no-shrink", "--out", str(Path(tmp) / "out"),
                   *extra]
        env = {**os.environ, "PYTHONPATH": tmp, "COLUMNS": "200", "FAKENET_SIM_TMP": sim_tmp}
        code, took, stdout, stderr = _run(command, Path(tmp), env, budget)
    if code is None:
        return Outcome(mutant, "timeout", took, f"no disagreement within {budget * WALL_SLACK:g} wall seconds", backend)
    if code == -signal.SIGXCPU:
        return Outcome(mutant, "timeout", took, f"no disagreement within {budget:g} CPU seconds", backend)
    if code == 0:
        return Outcome(mutant, "survived", took, f"seeds {seeds[0]}-{seeds[-1]} agreed", backend)
    if code == 1:
        return Outcome(mutant, "killed", took, _finding(stdout), backend)
    last = (stderr or stdout).strip().splitlines()
    return Outcome(mutant, "error", took, last[-1] if last else f"exit {code}", backend)


def _run(command: list[str], cwd: Path, env: dict, budget: float) -> tuple[int | None, float, str, str]:
    """Run the soak; (exit code or None when killed for wall time, its own CPU seconds, stdout, stderr).
    wait4 gives this child's CPU alone: getrusage's children total mixes in the others of --jobs."""
    with open(cwd / "stdout", "w+") as out, open(cwd / "stderr", "w+") as err:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err,
                                preexec_fn=lambda: _cpu_limit(budget))
        killer = threading.Timer(budget * WALL_SLACK, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        walled = proc.returncode == -signal.SIGKILL
        return None if walled else proc.returncode, usage.ru_utime + usage.ru_stime, out.read(), err.read()


def _cpu_limit(seconds: float) -> None:
    """In the child: SIGXCPU once it has used `seconds` of CPU."""
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds), int(seconds) + 5))


def _copy_package(into: Path, mutant: Mutant | None) -> None:
    # With the bytecode (unchanged files' stamps are copied with them, so it stays valid): without,
    # each soak process compiled every module it imports, where PYTHONDONTWRITEBYTECODE is set.
    # Hard links where the filesystem allows (~0.3 CPU s of copying a mutant, else): nothing writes
    # into a package file in place (Python replaces bytecode files whole), and the mutated file is
    # unlinked before it is written, so the checkout's copy stays as it is.
    shutil.copytree(ROOT / "fakenet", into / "fakenet", copy_function=_link_or_copy)
    if mutant is not None:
        target = into / mutant.path
        source = target.read_text()
        target.unlink()
        target.write_text(mutant.apply(source))
        Path(importlib.util.cache_from_source(str(target))).unlink(missing_ok=True)  # never the unmutated code


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another filesystem (or one without links)
        shutil.copy2(source, destination)


def _finding(stdout: str) -> str:
    """The seed and step that disagreed, in one line."""
    lines = stdout.splitlines()
    seed = next((line for line in lines if "disagrees" in line), "")
    step = next((line for line in lines if line.startswith("step ")), "")
    return f"{seed.split(':')[0]}, {step[:160]}".strip(", ")


def run_all(mutants: Iterable[Mutant] = MUTANTS, budget: float = BUDGET,
            progress: Callable[[Outcome], None] = lambda _: None, jobs: int = 1) -> list[Outcome]:
    """The unpatched model first on each backend the mutants need (it must agree there), then
    every mutant on its backend's plan, `jobs` at a time."""
    mutants = list(mutants)
    for backend in sorted({m.backend for m in mutants}, key=lambda b: b != "sim"):
        baseline = soak_mutant(None, budget=budget * 2, backend=backend)
        progress(baseline)
        if baseline.verdict != "survived":
            seeds = plan(backend)[0]
            raise RuntimeError(f"the unpatched model does not agree on {backend} seeds {seeds[0]}-{seeds[-1]}: "
                               f"{baseline.verdict}: {baseline.detail}")

    def one(mutant: Mutant) -> Outcome:
        outcome = soak_mutant(mutant, budget=budget)
        progress(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each mutant is its own process: threads only wait
        return list(pool.map(one, mutants))
