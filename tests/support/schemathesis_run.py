"""schemathesis's CLI as the suite runs it (test_api_fuzz, test_ceramic_one): fixed seed, no example
database, Hypothesis's Unicode tables kept where a fresh clone finds them, and the garbage collector
set for the run (schemathesis_main.py).

Hypothesis builds two tables the first time a process needs them and stores them under its storage
directory: which code points are in which Unicode category, and which UTF-8 encodes (~1.8 CPU s,
measured with getrusage on this machine, most of it the codec table). They are derived from the
interpreter's `unicodedata` alone, and Hypothesis files them under that Unicode version itself
(`unicode_data/<version>/`). They used to live in the test's tmp_path (built in every run) and then
under the venv (built again in every fresh clone, as CI makes); here they live in the user's cache
directory, one per Hypothesis version in case it changes their format.

Nothing that changes what is generated is kept there: the example database is off
(`--generation-database none`), so a run starts from its seed alone and replays the same requests,
as it did with a fresh directory each time. The other thing Hypothesis stores there is the constants
it reads from "local" modules' source, cached by the source's hash; the CLI's only local module is
its own launcher script, whose constants it reads whether cached or not.

Hypothesis's entry-point plugins are off (HYPOTHESIS_NO_PLUGINS): the only one installed is trio's,
which imports trio into a process that never runs it and registers trio's scheduler RNG, which
Hypothesis then saves, seeds and restores around every example (~0.2 CPU s a run between the two).
No strategy comes from it, and the requests each surface generates are the same, request for request.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from fakenet.state import user_cache

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAIN = Path(__file__).with_name("schemathesis_main.py")  # the launcher with the collector set for it


def storage_directory() -> Path:
    return user_cache() / "fakenet" / f"hypothesis-{version('hypothesis')}"


def run(document: str, cwd: Path, *options: str, seed: str = "1", timeout: float = 1200) -> subprocess.CompletedProcess:
    """`schemathesis run` on a document (a URL or a file) from `cwd` (its own cache stays out of the tree)."""
    return subprocess.run([sys.executable, str(MAIN), str(SCHEMATHESIS), "run", "--no-color", document, "--seed", seed,
                           "--generation-database", "none", *options],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(storage_directory()),
                               "HYPOTHESIS_NO_PLUGINS": "1"})


def generated(run: subprocess.CompletedProcess) -> int:
    """How many requests the run generated, from its summary line."""
    found = re.search(r"(\d+) generated", run.stdout)
    assert found, f"schemathesis printed no summary:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
    return int(found.group(1))
