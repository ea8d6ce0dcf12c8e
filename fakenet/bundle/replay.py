"""The one command that runs a failure again: every option the run had (file, backend, seed, kind,
size, placement), and paths that work from the checkout wherever the file or test lives."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import fakenet
from fakenet import invocation

REPO = Path(fakenet.__file__).resolve().parent.parent  # where ./fake is: the line runs from there
PLACEMENT_ENV = "FAKENET_PLACEMENT"  # what `--placement` sets for the hosts backend


def scenario_command(result) -> str:
    """`./fake scenario run FILE --backend B --seed S --kind K [--nodes N] [--placement P] [--hosts …]` for a scenario
    Result. --kind always: a file may list several kinds, and a kind given on the command line replaces
    them in the loaded scenario, so the file alone cannot say which ran. --nodes where it differed."""
    scenario = result.scenario
    words = [invocation.command(from_checkout=True), "scenario", "run", _path(scenario.path), "--backend", result.backend, "--seed", str(result.seed)]
    if result.kind:
        words += ["--kind", result.kind]
    if result.nodes and result.nodes != scenario.nodes:
        words += ["--nodes", str(result.nodes)]
    if result.backend == "hosts" and os.environ.get(PLACEMENT_ENV):
        words += ["--placement", os.environ[PLACEMENT_ENV]]
    if result.backend == "hosts":
        from fakenet.harness.backends.hosts_flags import words as hosts_words

        words += hosts_words(getattr(result, "options", {}))
    return shlex.join(words)


def pytest_command(nodeid: str, backend: str, root: Path | None = None) -> str:
    """`root`: pytest's rootdir, which the node id is relative to; a test outside the checkout is
    named by its absolute path, since the replay runs from the checkout."""
    if root is not None:
        file, sep, rest = nodeid.partition("::")
        nodeid = _path(str(Path(root) / file)) + sep + rest
    return shlex.join([invocation.command(from_checkout=True), "test", "-n", "0", "--fakenet-backend", backend, nodeid])


def _path(path: str) -> str:
    """Relative to the checkout when inside it (shorter, and the same on every clone), else absolute."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(resolved)
