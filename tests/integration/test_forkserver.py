"""The local backend's fork server (harness/backends/forkserver.py, fakenet/zygote.py): a forked
node is the process a fresh one would be — its own argv, environment, working directory, log,
entropy and exit code — and dies with the server, which dies with the harness."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from support import local_nodes as local
from fakenet.harness.backends import forkserver
from fakenet.harness.waits import wait_for

SUPPORT = Path(__file__).resolve().parents[1] / "support"


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (ended, not yet reaped by a parent that is itself ending)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.fixture
def probe_server():
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKENET_")}
    env |= {"PYTHONPATH": os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")]), "PYTHONUNBUFFERED": "1",
            "PROBE_SERVER_ONLY": "1"}  # the server's environment: a fork has the one it is given, nothing more
    server = forkserver.ForkServer("zygote_probe:preload", env, preexec_fn=None)
    yield server
    server.close()


def _probe(server, log: Path, cwd: Path, exit_code: int) -> forkserver.ForkedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "PROBE_SECRET": "s3cret", "PROBE_EXIT": str(exit_code)}
    previous = os.getcwd()
    os.chdir(cwd)  # what a fork's working directory follows: the harness's at the start, as Popen's does
    try:
        with open(log, "ab") as file:
            return server.spawn("zygote_probe:main", ["--flag", "value"], env, file.fileno())
    finally:
        os.chdir(previous)


def test_each_fork_has_its_own_argv_environment_directory_log_exit_code_and_entropy(probe_server, tmp_path):
    forks = [_probe(probe_server, tmp_path / f"{i}.log", tmp_path, exit_code=i + 3) for i in range(2)]
    assert [fork.wait(30) for fork in forks] == [3, 4]
    lines = [(tmp_path / f"{i}.log").read_text() for i in range(2)]
    draws = [dict(re.findall(r"(\w+)=(\S+)", line)) for line in lines]
    for draw in draws:
        assert (draw["argv"], draw["cwd"], draw["secret"], draw["server_only"]) == (
            "['--flag',", str(tmp_path), "s3cret", "-"), lines
    for source in ("random", "entropy", "secrets"):  # the server's RNG state (the probe's preload set one) is no fork's
        assert draws[0][source] != draws[1][source], (source, lines)
    assert "s3cret" not in Path(f"/proc/{probe_server.process.pid}/cmdline").read_text()


def test_a_bad_main_is_an_error_of_the_start_and_the_server_goes_on(probe_server, tmp_path):
    with open(tmp_path / "log", "ab") as log, pytest.raises(forkserver.FakenetError, match="no_such_function"):
        probe_server.spawn("zygote_probe:no_such_function", [], {}, log.fileno())
    assert _probe(probe_server, tmp_path / "ok.log", tmp_path, 0).wait(30) == 0


def test_a_forked_node_answers_rpc_has_its_own_identity_and_a_kill_leaves_no_process(tmp_path, start_nodes):
    first, second = start_nodes(local.full_mesh(tmp_path, 2))
    assert isinstance(first.process, forkserver.ForkedProcess), "the fakenet kind's nodes are forked"
    server = _parent(first.process.pid)
    assert _parent(second.process.pid) == server != os.getpid()
    identities = {node.rpc.getnetworkinfo()["peerid"] for node in (first, second)}
    assert len(identities) == 2, identities  # two forks of one server, two keys
    assert first.credentials[1] not in Path(f"/proc/{first.process.pid}/cmdline").read_text()
    assert re.search(r"event=rpc_answering .*cpu_ms=\d+", first.log_path.read_text())

    pid = first.process.pid
    first.kill()
    assert first.process.returncode == -signal.SIGKILL and _gone(pid)
    first.start()  # a restart is a new fork on the same data dir: the same identity
    first.wait_ready()
    assert first.process.pid != pid and first.rpc.getnetworkinfo()["peerid"] in identities
    second.stop()
    assert second.process.returncode == 0, second.logs()


def test_a_killed_fork_server_takes_its_nodes_with_it_and_the_next_start_gets_a_new_one(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1))
    server, pid = _parent(node.process.pid), node.process.pid
    os.kill(server, signal.SIGKILL)
    assert node.process.wait(30) == -signal.SIGKILL
    wait_for(lambda: _gone(pid), bool, timeout=30, expected=f"node {pid} gone with its server {server}")
    node.start()
    node.wait_ready()
    assert _parent(node.process.pid) not in (server, os.getpid())


HARNESS = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from support import local_nodes as local

    nodes = local.full_mesh(Path(sys.argv[1]), 2)
    # Started from a thread that ends at once: the server must outlive it (forkserver.py, _Launcher).
    starter = threading.Thread(target=lambda: [node.start() for node in nodes])
    starter.start()
    starter.join()
    for node in nodes:
        node.wait_ready()
    print(*[node.process.pid for node in nodes], flush=True)
    sys.stdin.read()
""")


def test_a_killed_harness_leaves_no_fork_server_and_no_node(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKENET_")}
    env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT.parent), env.get("PYTHONPATH", "")])
    harness = subprocess.Popen([sys.executable, "-c", HARNESS, str(tmp_path)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        timer = threading.Timer(120, harness.kill)
        timer.start()
        line = harness.stdout.readline()
        timer.cancel()
        assert line.strip(), harness.communicate(timeout=60)[1][-3000:]
        nodes = [int(pid) for pid in line.split()]
        servers = {_parent(pid) for pid in nodes}
        assert servers != {harness.pid} and len(servers) == 1, (servers, harness.pid)
    finally:
        harness.kill()
        harness.wait()
    for pid in [*servers, *nodes]:
        wait_for(lambda: _gone(pid), bool, timeout=30, expected=f"process {pid} gone with the harness")
