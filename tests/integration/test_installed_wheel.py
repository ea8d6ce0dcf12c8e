"""Issue 23 item 7: `pip install` of fakenet's wheel, with no checkout in sight, finds the sources of
its images and compose projects (fakenet/source_tree.py), starts a 2-node network through
`from fakenet import Network`, and brings a compose project up and down with its `fake` command."""

import importlib.util
import json
import shutil
import subprocess
import sys
import uuid

import docker
import pytest

from fakenet import compose, image
from support.bare_venv import bare_venv

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LEFT_OUT = (".venv", ".cache", ".git", ".hypothesis", "build", "*.egg-info", "__pycache__", "fakenet-dump-*")
SCRIPT = """
import json, fakenet
from fakenet import Network
from fakenet.harness.waits import wait_for
from fakenet.image import ensure_image
with Network(2, backend="docker") as net:
    ids = {name: net.node(name).client.identity() for name in net.names}
    peers, _ = wait_for(lambda: {n: sorted(net.node(n).client.peer_identities()) for n in net.names},
                     lambda p: all(p[n] == [ids[m] for m in net.names if m != n] for n in net.names),
                     timeout=60, expected="each node connected to the other")
print(json.dumps({"package": fakenet.__file__, "image": ensure_image(progress=lambda _: None), "peers": peers}))
"""


def run(args, cwd, env=None, timeout=900):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with nothing but fakenet's wheel and its dependencies (PyPI, through pip's cache):
    not even pip (support/bare_venv.py)."""
    root = tmp_path_factory.mktemp("installed")
    # A copy without build/: setuptools would put whatever an older build left there into the wheel.
    source = shutil.copytree(compose.REPO, root / "source", ignore=shutil.ignore_patterns(*LEFT_OUT))
    # Built with this venv's setuptools where it has one (Python 3.11's venvs do): an isolated build
    # installs setuptools into a throwaway env first (~1.3 of its 2 CPU s); the wheel's files are the same.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", *isolation, "-q", "-w", str(root / "dist")],
        root)
    bare_venv(root / "venv", next((root / "dist").glob("fakenet-*.whl")), timeout=900)
    outside = root / "elsewhere"
    outside.mkdir()
    env = {"PATH": f"{root / 'venv' / 'bin'}:/usr/bin:/bin", "HOME": str(root), "FAKENET_STATE_DIR": str(root / "state")}
    return root / "venv" / "bin", outside, env


def test_the_wheel_carries_the_sources_and_starts_a_network_from_outside_the_checkout(installed):
    bin_dir, outside, env = installed
    result = run([bin_dir / "python", "-c", SCRIPT], outside, env)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "site-packages" in report["package"] and str(compose.REPO) not in report["package"]
    # the same bytes as the checkout's: the installed copy builds (or finds) the very same image
    assert report["image"] == image.ensure_image(progress=lambda _: None, client=docker.from_env())
    assert all(len(peers) == 1 for peers in report["peers"].values()), report


def test_the_installed_fake_command_brings_a_compose_project_up_and_down(installed):
    bin_dir, outside, env = installed
    project = f"fw{uuid.uuid4().hex[:8]}"
    try:
        up = run([bin_dir / "fake", "-p", project, "up", "-d"], outside, env)
        assert "node4" in up.stdout and "12D3KooW" in up.stdout, up.stdout
        info = json.loads(run([bin_dir / "fake", "-p", project, "exec", "node", "cli", "-getinfo"], outside, env).stdout)
        assert info["connections"]["total"] == 3
    finally:
        subprocess.run([bin_dir / "fake", "-p", project, "down", "-v"], cwd=outside, env=env, capture_output=True,
                       timeout=300)
    assert not docker.from_env().containers.list(all=True, ignore_removed=True, filters={"label": f"io.fakenet.project={project}"})


def test_the_installed_fake_commands_hints_name_fake_not_dot_slash_fake(installed):
    """There is no ./fake outside the checkout: a hint names the console script the user ran."""
    bin_dir, outside, env = installed
    result = subprocess.run(["fake", "-p", "demo", "cli", "-getinfo"], cwd=outside, env=env, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert (result.returncode, result.stderr.strip()) == (1, "fake: cli runs inside a node: fake -p demo exec node cli -getinfo")
    by_path = subprocess.run([bin_dir / "fake", "cli", "-getinfo"], cwd=outside, env={**env, "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert by_path.stderr.strip() == f"fake: cli runs inside a node: {bin_dir / 'fake'} exec node cli -getinfo"
