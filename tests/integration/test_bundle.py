"""Issue 16 acceptance: a failed run leaves one bundle, ends with a replay line that fails the
same way, says whose fault it was, and its report renders in a real browser."""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

from fakenet import compose
from fakenet.bundle import INFRASTRUCTURE, SCENARIO, SYSTEM, Recorder, from_scenario, write
from fakenet.scenario import load, run
from support import user_pytest

FAILING = compose.REPO / "tests" / "data" / "deliberately-failing.yaml"
FAILING_LINE = 18  # its last step, the one that fails
ENV = {**os.environ, "COLUMNS": "200"}


def fake(*args, cwd=compose.REPO):
    return subprocess.run([str(compose.REPO / "fake"), *args], cwd=cwd, capture_output=True, text=True,
                          env=ENV, stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle") / "report"
    done = fake("scenario", "run", str(FAILING), "--backend", "local", "--report", str(folder))
    return done, folder


def test_a_failed_run_ends_with_a_replay_line_that_fails_at_the_same_step(failed_run):
    done, _ = failed_run
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "replay: ./fake scenario run tests/data/deliberately-failing.yaml --backend local --seed 11 --kind fakenet"
    assert f"deliberately-failing.yaml:{FAILING_LINE}: step" in done.stdout
    # Whose fault first, right after the verdict (README): the model refuses it, no node was wrong
    verdict = next(i for i, line in enumerate(lines) if line.startswith("failed in "))
    assert lines[verdict + 1].startswith("whose fault: the scenario failed (step 9"), lines[verdict:]
    again = fake(*lines[-1].removeprefix("replay: ./fake ").split())
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"deliberately-failing.yaml:{FAILING_LINE}: step `expect_available" in again.stdout
    assert again.stdout.strip().splitlines()[-1] == lines[-1]


def test_the_bundle_holds_evidence_report_and_manifest(failed_run):
    _, folder = failed_run
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    expected = {"index.html", "junit.xml", "manifest.json", "failure.json", "steps.json", "timeline.json",
                "tips.json", "holders.json", "availability.json", "scenario.yaml",
                *{f"logs/{n}.log" for n in ("node", "node2", "node3", "node4")},
                *{f"configs/{n}.json" for n in ("node", "node2", "node3", "node4")}}
    assert expected <= names, expected - names
    assert not [n for n in names if n.endswith(".png")]  # each picture once: embedded in the page
    assert (folder / "scenario.yaml").read_text() == FAILING.read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["kind"] == "fakenet" and manifest["backend"] == "local"
    assert len(manifest["image"]["node_source_hash"]) == 64 and manifest["versions"]["python"]
    assert [e["event"] for e in manifest["fault_schedule"]] == ["apply", "undo", "recovered", "apply"]
    assert manifest["replay"].startswith("./fake scenario run")
    assert manifest["command"].startswith("fake scenario run") and "--report" in manifest["command"]
    assert len(manifest["git_commit"].removesuffix("+dirty")) == 40 and manifest["scenario"]["copy"] == "scenario.yaml"
    assert manifest["placement"] == {}
    failure = json.loads((folder / "failure.json").read_text())
    assert failure["verdict"]["side"] == SCENARIO and "ModelRefused" in failure["verdict"]["error"]
    steps = json.loads((folder / "steps.json").read_text())
    assert [s["status"] for s in steps] == ["passed"] * 8 + ["failed"]
    assert steps[-1]["snapshot"]["down"] == ["node3"]
    assert "started" in (folder / "logs" / "node.log").read_text().lower() or (folder / "logs/node.log").stat().st_size
    config = json.loads((folder / "configs" / "node.json").read_text())
    assert config["environment"]["FAKENET_RPCPASSWORD"] == "<removed>"
    assert config["identity_file"]["Identity"]["PrivKey"] == "<removed>"
    junit = (folder / "junit.xml").read_text()
    assert "fakenet.report" in junit and str(folder / "index.html") in junit
    page = (folder / "index.html").read_text()
    assert page.index("Why: ") < page.index("scenario failed") < page.index("<h2>Timeline")
    assert "src=\"data:image/png;base64," in page and 'src="graphs/' not in page
    with tarfile.open(folder.with_name("report.tar.gz")) as tar:
        assert "report/index.html" in tar.getnames()


def test_no_secret_reaches_the_bundle(tmp_path):
    recorder = Recorder()
    result = run(load(FAILING), "local", recorder=recorder)
    assert not result.ok
    secrets = recorder.evidence.redactor.secrets
    assert len(secrets) >= 3  # RPC password, cluster secret, identity keys
    archive = write(from_scenario(result, recorder), tmp_path / "bundle")
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile():
                data = tar.extractfile(member).read().decode(errors="replace")
                assert not [s for s in secrets if s in data], member.name


def test_a_network_that_does_not_start_is_the_infrastructures_fault(tmp_path):
    recorder = Recorder()
    result = run(load(FAILING), "local", recorder=recorder, start_timeout=0.01)
    assert result.setup_error and not result.results
    bundle = from_scenario(result, recorder)
    assert bundle.verdict.side == INFRASTRUCTURE and bundle.verdict.where == "start-up"
    assert bundle.verdict.error.startswith("WaitTimeout")
    write(bundle, tmp_path / "b")
    assert set(json.loads((tmp_path / "b" / "manifest.json").read_text())["nodes"]) >= {"node", "node4"}
    assert (tmp_path / "b" / "logs" / "node.log").exists()


FAILING_TESTS = '''
import pytest
from fakenet.errors import ContainerError

@pytest.mark.fakenet(nodes=3)
def test_wrong_about_the_graph(fakenet_network):
    fakenet_network.crash("node3")
    fakenet_network.oracle.model.came_up("node3", restarted=True)  # a wrong model: the oracle must object
    fakenet_network.oracle.expect_graph(timeout=2)

@pytest.mark.fakenet(nodes=2)
def test_an_engine_error(fakenet_network):
    raise ContainerError("the engine went away")
'''


def test_pytest_bundles_failed_fixture_tests_and_scenario_items(tmp_path):
    (tmp_path / "test_wrong.py").write_text(FAILING_TESTS)
    (tmp_path / "scenarios").mkdir()
    shutil.copy(FAILING, tmp_path / "scenarios" / "failing.yaml")
    bundles = tmp_path / "bundles"
    done = subprocess.run(user_pytest.command("-q", "--fakenet-backend", "local", "--fakenet-bundle", str(bundles),
                                              "--junitxml", str(tmp_path / "junit.xml"), str(tmp_path)),
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, env=ENV)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "whose fault: the system under test failed (the test): ExpectationFailed" in out, out
    assert "whose fault: the infrastructure failed (the test): ContainerError: the engine went away" in out, out
    assert f"replay: ./fake test -n 0 --fakenet-backend local {tmp_path / 'test_wrong.py'}::test_wrong_about_the_graph" in out, out
    assert re.search(r"^replay: ./fake scenario run /\S+failing.yaml --backend local --seed 11 --kind fakenet$", out, re.M), out
    made = sorted(p.name for p in bundles.iterdir())
    assert made == sorted(["scenarios_failing.yaml_deliberately-failing_local",
                           "scenarios_failing.yaml_deliberately-failing_local.tar.gz",
                           "test_wrong.py_test_an_engine_error", "test_wrong.py_test_an_engine_error.tar.gz",
                           "test_wrong.py_test_wrong_about_the_graph",
                           "test_wrong.py_test_wrong_about_the_graph.tar.gz"]), made
    graph = bundles / "test_wrong.py_test_wrong_about_the_graph"
    assert json.loads((graph / "failure.json").read_text())["verdict"]["side"] == SYSTEM
    assert (graph / "logs" / "node3.log").exists() and (graph / "index.html").exists()
    assert 'name="fakenet_bundle"' in (tmp_path / "junit.xml").read_text()


LAYOUT_CHECK = """<script>
window.addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const images = [...document.images];
  const wide = [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > width + 1)
      .map(e => e.tagName + '.' + e.className);
  const out = document.createElement('pre');
  out.id = 'layout-check';
  out.textContent = JSON.stringify({images: images.length, width, scroll: document.documentElement.scrollWidth,
      broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).length, wide: wide.slice(0, 10)});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium (.ci/run installs it)")
        pytest.skip("no chromium (Debian's package `chromium`)")
    return found


@pytest.mark.parametrize("width", [480, 1280])
def test_the_report_renders_in_chromium_with_images_and_no_sideways_scroll(failed_run, width):
    browser = chromium()
    _, folder = failed_run
    page = (folder / "index.html").read_text()
    check = folder / f"check-{width}.html"  # the report plus a script that writes what it measured into the DOM
    check.write_text(page.replace("</body>", LAYOUT_CHECK + "</body>"))
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},900",
              "--virtual-time-budget=5000"]
    dom = subprocess.run([*common, "--dump-dom", check.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="layout-check">(.*?)</pre>', dom.stdout)
    assert found, dom.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["images"] >= 11 and measured["broken"] == 0, measured
    assert measured["scroll"] <= measured["width"] and not measured["wide"], measured
    shot = folder / f"shot-{width}.png"
    subprocess.run([*common, f"--screenshot={shot}", (folder / "index.html").as_uri()], capture_output=True,
                   timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.docker
def test_fake_dump_writes_a_bundle_of_a_running_four_node_network(tmp_path):
    import uuid

    import docker

    project = f"fdump{uuid.uuid4().hex[:8]}"  # never the default project: someone may be using it
    env = {**os.environ, "FAKENET_UP_TIMEOUT": "300"}  # a shared, loaded machine meshes slowly
    run_fake = lambda *args: subprocess.run([sys.executable, "-m", "fakenet", "-p", project, *args], cwd=compose.REPO,
                                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
                                            env=env)
    try:
        up = run_fake("up", "-d", "--nodes", "4")
        assert up.returncode == 0, up.stdout + up.stderr
        done = run_fake("dump", str(tmp_path / "dump"))
        assert done.returncode == 0, done.stdout + done.stderr
        assert run_fake("stop", "node3").returncode == 0 and run_fake("pause", "node2").returncode == 0
        for verb in ("graph", "status"):
            shown = run_fake(verb)
            assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stdout + shown.stderr
        assert "node2: (down)" in run_fake("graph").stdout
        stopped = run_fake("dump", str(tmp_path / "stopped"))
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        run_fake("unpause", "node2")
    finally:
        run_fake("down", "-v", "--remove-orphans")
    folder = tmp_path / "dump"
    assert (tmp_path / "dump.tar.gz").exists()
    graph = json.loads((folder / "graph.json").read_text())
    assert len(graph["observed"]) == 6 and graph["down"] == []  # a 4-node full mesh
    tips = json.loads((folder / "tips.json").read_text())
    assert sorted(tips) == ["node", "node2", "node3", "node4"] and tips["node"]["observed"]["height"] == 0
    # The harness did not drive this network: no predictions, no failure, no seed (they misled)
    assert all(set(tip) == {"observed"} for tip in tips.values()), tips
    assert not (folder / "failure.json").exists()
    page = (folder / "index.html").read_text()
    assert "nothing here is a prediction" in page and "<th>predicted</th>" not in page
    assert json.loads((folder / "holders.json").read_text()) == {}
    for name in ("node", "node2", "node3", "node4"):
        assert (folder / "logs" / f"{name}.log").stat().st_size > 0
        config = json.loads((folder / "configs" / f"{name}.json").read_text())
        assert "FAKENET_RPCPASSWORD=<removed>" in config["environment"], config
        assert config["identity_file"]["Identity"]["PrivKey"] == "<removed>"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["image"]["id"].startswith("sha256:") and manifest["versions"]["docker_engine"]
    assert "<img" in (folder / "index.html").read_text()
    assert manifest["kind"] == "fakenet" and "<removed>" not in json.dumps(manifest) and manifest["seed"] is None
    assert json.loads((tmp_path / "stopped" / "graph.json").read_text())["down"] == ["node2", "node3"]
    assert json.loads((tmp_path / "stopped" / "manifest.json").read_text())["kind"] == "fakenet"
    left = docker.from_env().containers.list(all=True, ignore_removed=True, filters={"label": f"com.docker.compose.project={project}"})
    assert left == []
