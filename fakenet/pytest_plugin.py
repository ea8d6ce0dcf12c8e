"""fakenet's pytest plugin (entry point `pytest11`).

- `scenarios/*.yaml` are collected as test items, one per kind × backend the scenario lists (a
  kind that cannot run on a backend, such as litecoin on local, is not collected there).
- `fakenet_network` fixture: a started Network; configure it with the `fakenet` marker,
  e.g. `@pytest.mark.fakenet(nodes=5, backend="docker", topology="ring", kind="fakenet")`;
  other keywords are the kind's settings (`sync_timeout=0.5`), and unknown ones are errors.
- `--fakenet-backend local|docker|all` picks backends; `--fakenet-keep` leaves a failed network up.
- Under pytest-xdist each worker names its docker resources after itself; the session start
  prunes what killed runs left behind (resources whose owner process is gone).
"""

from __future__ import annotations

import os

import pytest

BACKENDS = ("local", "docker")
MARKER_KEYWORDS = ("nodes", "topology", "kind", "seed", "start_timeout", "settings")


def pytest_addoption(parser):
    group = parser.getgroup("fakenet")
    group.addoption("--fakenet-backend", default=os.environ.get("FAKENET_BACKEND", "all"),
                    choices=[*BACKENDS, "all"], help="backends to run scenarios and fakenet tests on (default all)")
    group.addoption("--fakenet-keep", action="store_true", help="leave the network of a failed test up for inspection")


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
        done = prune(client)
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


def network_options(config, backend: str, keep: bool) -> dict:
    return {"project": f"fakenet-{_worker(config)}", "owned": not keep} if backend == "docker" else {}


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
                yield item


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario, backend, kind="fakenet", **kwargs):
        super().__init__(**kwargs)
        self.scenario, self.backend, self.kind = scenario, backend, kind

    def runtest(self):
        from fakenet.scenario.runner import run

        keep = self.config.getoption("--fakenet-keep")
        result = run(self.scenario, self.backend, kind=self.kind, keep_on_failure=keep,
                     **network_options(self.config, self.backend, keep))
        if not result.ok:
            raise ScenarioFailed(result.failure + _timeline(result))

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


@pytest.fixture
def fakenet_network(request):
    """A started fakenet Network (fresh state); configure with @pytest.mark.fakenet(...)."""
    from fakenet.harness.network import Network

    marker = request.node.get_closest_marker("fakenet")
    options = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        raise pytest.UsageError(f"{request.node.nodeid}: @pytest.mark.fakenet takes keywords only, not {marker.args}")
    backend = getattr(request, "param", None) or options.pop("backend", None) or \
        (selected_backends(request.config, BACKENDS) or ["local"])[0]
    options.pop("backend", None)
    network = {key: options.pop(key) for key in MARKER_KEYWORDS if key in options}
    settings = {**network.pop("settings", {}), **options}  # the rest are the kind's settings, checked by it
    keep = request.config.getoption("--fakenet-keep")
    net = Network(network.pop("nodes", 4), backend=backend, settings=settings, **network,
                  **network_options(request.config, backend, keep))
    net.start()
    yield net
    if keep and getattr(request.node, "fakenet_failed", False):
        print(f"\nfakenet: kept the failed network up ({backend}): {', '.join(net.names)}")
        return
    net.close()
