"""The one command that runs a failure again: same file, backend, seed, kind and size."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import fakenet

REPO = Path(fakenet.__file__).resolve().parent.parent  # where ./fake is: the line runs from there


def scenario_command(result) -> str:
    """`./fake scenario run FILE --backend B --seed S [--kind K] [--nodes N]` for a scenario Result;
    --kind and --nodes only where the run differed from the file."""
    scenario = result.scenario
    words = ["./fake", "scenario", "run", _path(scenario.path), "--backend", result.backend, "--seed", str(result.seed)]
    if result.kind and result.kind != scenario.kinds[0]:
        words += ["--kind", result.kind]
    if result.nodes and result.nodes != scenario.nodes:
        words += ["--nodes", str(result.nodes)]
    return shlex.join(words)


def pytest_command(nodeid: str, backend: str) -> str:
    return shlex.join(["./fake", "test", "-n", "0", "--fakenet-backend", backend, nodeid])


def _path(path: str) -> str:
    """Relative to the checkout, where `./fake` runs."""
    try:
        return os.path.relpath(Path(path).resolve(), REPO)
    except ValueError:  # another drive (Windows)
        return path
