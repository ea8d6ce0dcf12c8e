"""Issue 14: schemathesis against the stream API's own OpenAPI document: no input gets a 5xx.

Bounded for CI (FAKENET_FUZZ_EXAMPLES per operation and phase, default 80: about 2,000
requests); raise it for a longer run. The seed is fixed so a failure replays
(FAKENET_FUZZ_SEED to vary it); schemathesis prints a curl line for each failure.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from fakenet.harness import local

EXAMPLES = int(os.environ.get("FAKENET_FUZZ_EXAMPLES", "80"))
SEED = os.environ.get("FAKENET_FUZZ_SEED", "1")


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1, extra_args=["--sync-timeout", "0.2"]), wait_peers=False)
    run = subprocess.run([str(Path(sys.executable).parent / "schemathesis"), "run", "--no-color",
                          f"{node.api_url}/api/v0/openapi.json", "--checks", "not_a_server_error",
                          "--max-examples", str(EXAMPLES), "--seed", SEED],
                         capture_output=True, text=True, timeout=1200, cwd=tmp_path)  # its cache stays out of the tree
    summary = run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis found server errors:\n{summary}\n{run.stderr[-2000:]}"
    generated = int(re.search(r"(\d+) generated", run.stdout).group(1))
    assert generated >= 20 * EXAMPLES, f"only {generated} requests were generated:\n{summary}"
    assert requests.get(f"{node.api_url}/api/v0/node/healthcheck", timeout=10).text == "Alive!"
