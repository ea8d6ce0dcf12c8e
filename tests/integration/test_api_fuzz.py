"""Issue 14: schemathesis against the node's own OpenAPI documents (the stream API on 7007, the
cluster REST API on 9094): no input gets a 5xx.

Bounded for CI (FAKENET_FUZZ_EXAMPLES per operation and phase, default 110: over 2,000 requests
per surface); raise it for a longer run. The seed is fixed so a failure replays
(FAKENET_FUZZ_SEED to vary it); schemathesis prints a curl line for each failure.

Hypothesis's Unicode tables (which code points UTF-8 encodes, by category) are kept in one
directory under this venv's prefix, made by the first run and read by every later one: built from
nothing they took 18 of schemathesis's 24 CPU seconds on the cluster surface, in each run, since
its storage was the test's own tmp_path. They depend on the interpreter's Unicode version only.
Found examples are still not kept (`--generation-database none`): every run starts from the seed
alone, as it did with a fresh storage directory each time.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from support import local_nodes as local

EXAMPLES = int(os.environ.get("FAKENET_FUZZ_EXAMPLES", "110"))
SEED = os.environ.get("FAKENET_FUZZ_SEED", "1")
UNICODE_TABLES = Path(sys.prefix) / "hypothesis-storage"


def schemathesis(document: str, tmp_path, *options) -> int:
    """Run schemathesis on a document; assert no server error; return how many requests it generated."""
    run = subprocess.run([str(Path(sys.executable).parent / "schemathesis"), "run", "--no-color", document,
                          "--checks", "not_a_server_error", "--max-examples", str(EXAMPLES), "--seed", SEED,
                          "--generation-database", "none", *options],
                         capture_output=True, text=True, timeout=1200, cwd=tmp_path,  # its cache stays out of the tree
                         env={**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(UNICODE_TABLES)})
    summary = run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis found server errors:\n{summary}\n{run.stderr[-2000:]}"
    return int(re.search(r"(\d+) generated", run.stdout).group(1))


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1, {"sync_timeout": 0.2}), wait_peers=False)
    generated = schemathesis(f"{node.api_url}/api/v0/openapi.json", tmp_path)
    assert generated >= 2000, f"only {generated} requests were generated"
    assert requests.get(f"{node.api_url}/api/v0/node/healthcheck", timeout=10).text == "Alive!"


@pytest.mark.slow
def test_no_generated_cluster_request_gets_a_server_error(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    base = node.url("cluster")
    generated = schemathesis(f"{base}/api/openapi.json", tmp_path, "--auth", ":".join(node.credentials))
    assert generated >= 1000, f"only {generated} requests were generated"
    assert requests.get(f"{base}/id", auth=node.credentials, timeout=10).status_code == 200
