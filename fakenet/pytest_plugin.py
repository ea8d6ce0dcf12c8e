"""fakenet's pytest plugin (entry point `pytest11`).

- `scenarios/*.yaml` are collected as test items, one per kind × backend the scenario lists (a
  kind that cannot run on a backend, such as litecoin on local, is not collected there).
- `fakenet_network` fixture: a started Network; configure it with the `fakenet` marker,
  e.g. `@pytest.mark.fakenet(nodes=5, backend="docker", topology="ring", kind="fakenet")`, or
  `backend="hosts", hosts={"h1": "local", "h2": "ssh://root@h2"}, placement={"node": "h2"}`;
  other keywords are the kind's settings (`sync_timeout=0.5`), and unknown ones are errors.
- `--fakenet-backend local|docker|sim|all` picks backends; `--fakenet-keep` leaves a failed network up.
- `--fakenet-bundle DIR` (default `fakenet-bundles/` under the rootdir when CI is set): a failed
  scenario item, or a failed test using `fakenet_network`, leaves a bundle there (fakenet.bundle:
  logs, configs without secrets, graphs, manifest, report) and ends its failure with whose fault it
  is and a `replay:` line; JUnit XML gets the bundle's path as the `fakenet_bundle` property.
- Under pytest-xdist each worker names its docker resources after itself; the session start
  prunes what killed runs left behind (resources whose owner process is gone), never a `./fake up`
  project: one stopped is the developer's (`fake prune` takes it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fakenet.errors import FakenetError
from fakenet.harness import backends

LARGE = 100  # scenarios of this many nodes are marked slow
MARKER_KEYWORDS = ("nodes", "topology", "kind", "seed", "start_timeout", "settings", "hosts", "placement")


def pytest_addoption(parser):
    group = parser.getgroup("fakenet")
    group.addoption("--fakenet-backend", default=os.environ.get("FAKENET_BACKEND", "all"),
                    choices=[*backends.NAMES, "all"], help="backends to run scenarios and fakenet tests on (default all)")
    group.addoption("--fakenet-keep", action="store_true", help="leave the network of a failed test up for inspection")
    group.addoption("--fakenet-bundle", metavar="DIR", default=None,
                    help="write a failure bundle per failed fakenet test here (default when CI is set: "
                         "fakenet-bundles/ under the rootdir)")


def pytest_configure(config):
    config.addinivalue_line("markers", "fakenet(nodes=4, backend=None, topology='full', kind='fakenet', seed=0, "
                                       "**settings): configure the fakenet_network fixture")
    config.addinivalue_line("markers", "docker: needs a Docker engine (real containers)")


def _worker(config) -> str:
    return getattr(config, "workerinput", {}).get("workerid", "main")


def pytest_sessionstart(session):
    """Remove what a killed earlier run left behind (only its owner process could have)."""
    if _worker(session.config) != "main" or os.environ.get("FAKENET_NO_PRUNE"):
        return  # once per session, in the controller, before any worker runs a test
    try:
        import docker

        from fakenet.prune import prune

        client = docker.from_env()
        client.ping()
        done = prune(client, keep_compose=True)  # `./fake up` projects are the developer's: `fake prune` takes them
    except Exception as exc:  # no engine, or it misbehaved: a prune must never stop the tests
        print(f"fakenet: start-up prune skipped: {exc}")
        return
    if done:
        print(f"fakenet: pruned what an earlier run left: {len(done.containers)} containers, "
              f"{len(done.networks)} networks, {len(done.volumes)} volumes")


def _engine_error() -> str | None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # any failure to reach the engine means the same thing here
        return str(exc)
    return None


def pytest_collection_modifyitems(config, items):
    """Docker-marked items need an engine: without one they skip locally and fail loudly on CI."""
    docker_items = [item for item in items if "docker" in item.keywords]
    error = _engine_error() if docker_items else None
    if error is None:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs a Docker engine for the docker-marked tests: {error}")
    for item in docker_items:
        item.add_marker(pytest.mark.skip(reason=f"no Docker engine: {error}"))


def selected_backends(config, wanted) -> list[str]:
    choice = config.getoption("--fakenet-backend")
    return [b for b in wanted if choice in ("all", b)]


def bundle_folder(config, nodeid: str) -> Path | None:
    """Where a failed item's bundle goes, or None when bundles are off."""
    root = config.getoption("--fakenet-bundle") or (config.rootpath / "fakenet-bundles" if os.environ.get("CI") else None)
    return Path(root) / re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[-120:] if root else None


def _write_bundle(item, bundle, folder: Path) -> str:
    """Write it, note it in JUnit's properties; the lines that end the failure's report."""
    from fakenet.bundle import write

    archive = write(bundle, folder)
    item.user_properties.append(("fakenet_bundle", str(archive)))
    return (f"bundle: {folder} ({archive.name}; report: {folder / 'index.html'})\n"
            f"whose fault: {bundle.verdict.sentence()}\nreplay: {bundle.replay}")


def network_options(config, backend: str, keep: bool) -> dict:
    return {"project": f"fakenet-{_worker(config)}", "owned": not keep} if backend in ("docker", "hosts") else {}


# -- scenarios as test items ----------------------------------------------------------------------

def pytest_collect_file(file_path, parent):
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        from fakenet import kinds
        from fakenet.scenario import load

        scenario = load(self.path)
        for kind in scenario.kinds:
            # A kind that cannot run on a backend (litecoin needs docker's packet filter) is not collected there.
            for backend in [b for b in selected_backends(self.config, scenario.backends) if kinds.get(kind).runs_on(b)]:
                label = backend if kind == "fakenet" else f"{kind}-{backend}"
                item = ScenarioItem.from_parent(self, name=f"{scenario.name}[{label}]", scenario=scenario,
                                                backend=backend, kind=kind)
                item.add_marker("fakenet")
                if backend == "docker":
                    item.add_marker("docker")
                if scenario.nodes >= LARGE:
                    item.add_marker("slow")  # minutes: `-m "not slow"` leaves it out
                yield item

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, FakenetError):  # the file's mistake, already said with its file:line and
            return str(excinfo.value)                # a "did you mean": not a traceback through the loader
        return super().repr_failure(excinfo)


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario, backend, kind="fakenet", **kwargs):
        super().__init__(**kwargs)
        self.scenario, self.backend, self.kind = scenario, backend, kind

    def runtest(self):
        from fakenet.scenario.runner import run

        from fakenet.bundle import Recorder, from_scenario
        from fakenet.bundle.build import scenario_verdict
        from fakenet.bundle.replay import scenario_command

        keep = self.config.getoption("--fakenet-keep")
        folder = bundle_folder(self.config, self.nodeid)
        recorder = Recorder() if folder else None
        result = run(self.scenario, self.backend, kind=self.kind, keep_on_failure=keep, recorder=recorder,
                     **network_options(self.config, self.backend, keep))
        if not result.ok:
            ending = (_write_bundle(self, from_scenario(result, recorder), folder) if folder else
                      f"whose fault: {scenario_verdict(result).sentence()}\nreplay: {scenario_command(result)}")
            raise ScenarioFailed(result.failure + _timeline(result) + "\n" + ending)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.name}"


def _timeline(result) -> str:
    events = [f"  {e.at:7.2f}s {e.kind:9s} {e.what}" for e in result.timeline if e.kind != "expect"]
    return "\ntimeline:\n" + "\n".join(events) if events else ""


# -- the fixture ------------------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.fakenet_failed = report.failed
    net = getattr(item, "funcargs", {}).get("fakenet_network")
    folder = bundle_folder(item.config, item.nodeid)
    if report.when == "call" and report.failed and net is not None and folder is not None:
        # Here, not at teardown: the network is still up, its logs and data dirs still there.
        from fakenet.bundle import Recorder, from_test

        recorder = Recorder()
        recorder.collect(net, call.excinfo.value if call.excinfo else None)
        bundle = from_test(item.nodeid, net, call.excinfo.value if call.excinfo else None, True, recorder,
                           call.duration, root=item.config.rootpath)
        report.sections.append(("fakenet", _write_bundle(item, bundle, folder)))
    if report.when == "setup" and getattr(item, "fakenet_setup_bundle", None):
        report.sections.append(("fakenet", item.fakenet_setup_bundle))


@pytest.fixture
def fakenet_network(request):
    """A started fakenet Network (fresh state); configure with @pytest.mark.fakenet(...)."""
    from fakenet.harness.network import Network

    marker = request.node.get_closest_marker("fakenet")
    options = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        raise pytest.UsageError(f"{request.node.nodeid}: @pytest.mark.fakenet takes keywords only, not {marker.args}")
    backend = getattr(request, "param", None) or options.pop("backend", None) or \
        (selected_backends(request.config, backends.DEFAULT) or ["local"])[0]
    options.pop("backend", None)
    network = {key: options.pop(key) for key in MARKER_KEYWORDS if key in options}
    settings = {**network.pop("settings", {}), **options}  # the rest are the kind's settings, checked by it
    keep = request.config.getoption("--fakenet-keep")
    try:
        net = Network(network.pop("nodes", 4), backend=backend, settings=settings, **network,
                      **network_options(request.config, backend, keep))
    except FakenetError as exc:  # the marker's mistake (`bogus=1`, `topology="rnig"`): its line, not the fixture's code
        mistake = str(exc)
    else:
        mistake = None
    if mistake is not None:  # failed outside the except: pytest would print the error twice, chained
        pytest.fail(f"@pytest.mark.fakenet: {mistake}", pytrace=False)
    try:
        net.start()
    except Exception as exc:
        _bundle_failed_start(request.node, net, exc)
        net.close()
        raise
    except BaseException:  # Ctrl-C while the nodes start: no teardown follows a fixture that never yielded
        net.close()
        raise
    yield net
    if keep and getattr(request.node, "fakenet_failed", False):
        print(f"\nfakenet: kept the failed network up ({backend}): {', '.join(net.names)}")
        return
    net.close()


def _bundle_failed_start(item, net, error: BaseException) -> None:
    """A network that did not start is the infrastructure's failure: bundle what it left."""
    folder = bundle_folder(item.config, item.nodeid)
    if folder is None:
        return
    from fakenet.bundle import Recorder, from_test

    recorder = Recorder()
    recorder.collect(net, error)
    item.fakenet_setup_bundle = _write_bundle(item, from_test(item.nodeid, net, error, False, recorder, root=item.config.rootpath), folder)
