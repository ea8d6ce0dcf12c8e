"""Issue 14: schemathesis against the node's own OpenAPI documents (the stream API on 7007, the
cluster REST API on 9094): no input gets a 5xx.

Bounded for CI (FAKENET_FUZZ_EXAMPLES per operation and phase, default 110: over 2,000 requests
per surface); raise it for a longer run. The seed is fixed so a failure replays
(FAKENET_FUZZ_SEED to vary it); schemathesis prints a curl line for each failure.

Runs go through support/schemathesis_run.py: no example database (every run starts from the seed
alone), and Hypothesis's Unicode tables kept in the user's cache directory, so neither a run nor a
fresh clone builds them again.
"""

import os

import pytest
import requests

from support import local_nodes as local
from support import schemathesis_run

EXAMPLES = int(os.environ.get("FAKENET_FUZZ_EXAMPLES", "110"))
SEED = os.environ.get("FAKENET_FUZZ_SEED", "1")


def schemathesis(document: str, tmp_path, *options) -> int:
    """Run schemathesis on a document; assert no server error; return how many requests it generated."""
    run = schemathesis_run.run(document, tmp_path, "--checks", "not_a_server_error", "--max-examples", str(EXAMPLES),
                               *options, seed=SEED)
    assert run.returncode == 0, f"schemathesis found server errors:\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}"
    return schemathesis_run.generated(run)


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
