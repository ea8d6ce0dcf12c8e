"""`fake hosts add/ls/rm` and `fake scenario run --backend hosts --placement` end to end, with the
second host reached over ssh through the docker SDK's ssh transport.

The ssh host is $FAKENET_SSH_HOST: .ci/run starts a throwaway sshd (.ci/sshd: ssh://root@localhost:PORT,
keys for this run only), a second client of this engine. The hosts file is the test's own.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.one_worker("swarm")]  # the engine's swarm membership
ROOT = Path(__file__).resolve().parents[2]
SSH = os.environ.get("FAKENET_SSH_HOST")


@pytest.fixture
def fake(tmp_path):
    if not SSH:
        if os.environ.get("CI"):
            pytest.fail("CI needs FAKENET_SSH_HOST (.ci/run sets it)")
        pytest.skip("no ssh Docker host: set FAKENET_SSH_HOST=ssh://root@localhost:PORT (see .ci/sshd)")
    env = {**os.environ, "FAKENET_HOSTS_FILE": str(tmp_path / "hosts.json")}
    env.pop("FAKENET_PLACEMENT", None)

    def run(*args, timeout=60):
        return subprocess.run([sys.executable, "-m", "fakenet", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)

    return run


def test_a_host_added_over_ssh_takes_half_a_partition_heal_scenario_and_is_removed(fake, tmp_path):
    added = fake("hosts", "add", SSH, "--name", "viassh")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(f"added viassh: {SSH} (")
    assert stat.S_IMODE((tmp_path / "hosts.json").stat().st_mode) == 0o600
    assert fake("hosts", "ls").stdout.splitlines() == ["local\tlocal", f"viassh\t{SSH}"]

    ran = fake("scenario", "run", "scenarios/partition-heal.yaml", "--backend", "hosts",
               "--placement", "node3=viassh,node4=viassh", timeout=600)
    assert ran.returncode == 0, f"stdout:\n{ran.stdout[-3000:]}\nstderr:\n{ran.stderr[-3000:]}"

    removed = fake("hosts", "rm", "viassh")
    assert removed.returncode == 0, removed.stderr
    assert f"removed viassh: {SSH}" in removed.stdout
    assert fake("hosts", "ls").stdout.splitlines() == ["local\tlocal"]


@pytest.mark.parametrize("args, words", [
    (["hosts", "add", "ssh://root@localhost:1"], "localhost:1"),  # nothing listens there
    (["hosts", "add", "h2"], "engine URL such as ssh://user@host"),
    (["hosts", "rm", "nosuchhost"], "nosuchhost"),
    (["scenario", "run", "scenarios/partition-heal.yaml", "--backend", "hosts", "--placement", "node3=nowhere"],
     "nowhere"),
])
def test_bad_host_input_is_one_clear_line(fake, args, words):
    answer = fake(*args)
    assert answer.returncode == 1, answer.stderr
    assert words in answer.stderr and "Traceback" not in answer.stderr, answer.stderr
