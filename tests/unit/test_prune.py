"""The prune's decisions beside other live runs (issue 27), through the docker SDK's own listing code
against an engine kept here: what it spares, what it takes, and that a run tearing down meanwhile
does not stop it."""

import subprocess
import sys
from datetime import datetime, timezone

import docker
import docker.errors
import pytest

from fakenet.labels import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value
from fakenet.prune import prune

LONG_AGO = "2020-01-01T00:00:00.000000000Z"


class Engine:
    """The HTTP calls prune makes, answered from dicts. While `tearing_down`, another run removes its
    containers throughout: every listing shows one more of them, gone before prune's look at it (beside
    8 checkouts' test runs, each of three listings in a row met one)."""

    def __init__(self):
        self.held = {"containers": {}, "networks": {}, "volumes": {}}
        self.tearing_down, self._gone = False, 0

    def client(self, monkeypatch) -> docker.DockerClient:
        client = docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41")  # never dialled
        for name in ("containers", "inspect_container", "networks", "volumes", "remove_container",
                     "remove_network", "remove_volume"):
            monkeypatch.setattr(client.api, name, getattr(self, name))
        return client

    def containers(self, all=False, filters=None, **_):
        listed = [{"Id": cid, "Names": [f"/{c['Name']}"], "Labels": c["Config"]["Labels"], "State": c["State"]["Status"]}
                  for cid, c in self.held["containers"].items()]
        if self.tearing_down:
            self._gone += 1
            listed.insert(0, {"Id": f"gone{self._gone}", "Names": [f"/fakenet-gone{self._gone}-node"],
                              "Labels": {PROJECT_LABEL: "fakenet-gw1"}, "State": "running"})
        return listed

    def inspect_container(self, cid):
        if cid not in self.held["containers"]:
            raise docker.errors.NotFound(f"No such container: {cid}")
        return self.held["containers"][cid]

    def networks(self, filters=None, **_):
        return list(self.held["networks"].values())

    def volumes(self, filters=None):
        return {"Volumes": list(self.held["volumes"].values())}

    def remove_container(self, cid, v=False, link=False, force=False):
        del self.held["containers"][cid]

    def remove_network(self, net_id):
        del self.held["networks"][net_id]

    def remove_volume(self, name, force=False):
        del self.held["volumes"][name]

    def run(self, run: str, owner: str | None, status: str = "running", created: str | None = None,
            container: bool = True):
        """One network of run `run` as a docker backend (or compose, without an owner) makes it; made
        now unless `created` says when (now is read here: the suite may run this minutes after import)."""
        created = created or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        labels = {PROJECT_LABEL: "fakenet-gw0", RUN_LABEL: run, **({OWNER_LABEL: owner} if owner else {})}
        if container:
            self.held["containers"][f"c-{run}"] = {"Id": f"c-{run}", "Name": f"/fakenet-{run}-node", "Created": created,
                                           "Config": {"Labels": labels}, "State": {"Status": status}}
        self.held["networks"][f"n-{run}"] = {"Id": f"n-{run}", "Name": f"fakenet-{run}", "Labels": labels, "Created": created}
        self.held["volumes"][f"fakenet-{run}-node"] = {"Name": f"fakenet-{run}-node", "Labels": labels, "CreatedAt": created}


@pytest.fixture
def worker():
    """Another live process on this host (an xdist worker, a nested pytest session): its pid owns a run."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield process
    process.stdin.close()
    process.wait(timeout=30)


def _owner(pid: int) -> str:
    return owner_value(pid)


def test_a_live_owners_network_is_spared_from_creation_on_and_a_dead_owners_taken(monkeypatch, worker):
    engine = Engine()
    engine.run("starting", _owner(worker.pid), container=False)  # created, no container connected yet
    engine.run("running", _owner(worker.pid))
    engine.run("faulted", _owner(worker.pid), status="exited", created=LONG_AGO)  # a crash fault left it exited
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    engine.run("killed", _owner(int(finished.stdout)), created=LONG_AGO)  # its worker died with SIGKILL
    engine.run("compose-up", None, status="created")  # ./fake up on its way: young, no owner
    engine.run("compose-gone", None, status="exited", created=LONG_AGO)

    done = prune(engine.client(monkeypatch))
    assert sorted(done.networks) == ["fakenet-compose-gone", "fakenet-killed"], done
    assert sorted(done.containers) == ["fakenet-compose-gone-node", "fakenet-killed-node"], done
    assert sorted(engine.held["networks"]) == ["n-compose-up", "n-faulted", "n-running", "n-starting"]


def test_a_run_tearing_down_during_the_listing_does_not_stop_the_prune(monkeypatch, worker):
    engine = Engine()
    engine.run("running", _owner(worker.pid))
    engine.tearing_down = True
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    engine.run("killed", _owner(int(finished.stdout)), created=LONG_AGO)

    done = prune(engine.client(monkeypatch))
    assert done.containers == ["fakenet-killed-node"] and done.networks == ["fakenet-killed"], done


def test_a_test_sessions_prune_spares_a_developers_stopped_compose_network(monkeypatch, worker):
    """`./fake up -d`, `./fake stop`, then any `pytest` (even one unit test file): the session start removed
    the stopped network with its volumes (its chain, streams and identities) as if a killed run had left it."""
    from types import SimpleNamespace

    from fakenet import pytest_plugin

    engine = Engine()
    engine.run("compose", None, status="exited", created=LONG_AGO)  # the developer's, every node stopped
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    engine.run("killed", _owner(int(finished.stdout)), created=LONG_AGO)
    client = engine.client(monkeypatch)
    monkeypatch.setattr(client, "ping", lambda: True)
    monkeypatch.setattr(docker, "from_env", lambda: client)
    monkeypatch.delenv("FAKENET_NO_PRUNE", raising=False)
    pytest_plugin.pytest_sessionstart(SimpleNamespace(config=SimpleNamespace()))
    assert sorted(engine.held["networks"]) == ["n-compose"] and sorted(engine.held["volumes"]) == ["fakenet-compose-node"]
    assert sorted(prune(client).networks) == ["fakenet-compose"]  # `fake prune` still takes it, as README says
