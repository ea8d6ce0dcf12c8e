"""The hosts file, placement, image distribution and overlay subnets, without an engine."""

import contextlib
import ipaddress
import stat
from types import SimpleNamespace

import docker.errors
import pytest

from fakenet import host_registry as hosts
from fakenet.errors import ConfigError, WaitTimeout
from fakenet.harness.backends import hosts as hosts_backend, swarm
from fakenet.harness.backends.hosts import HostsBackend, distribute


@pytest.fixture(autouse=True)
def hosts_file(tmp_path, monkeypatch):
    path = tmp_path / "cache" / "hosts.json"
    monkeypatch.setenv("FAKENET_HOSTS_FILE", str(path))
    return path


def test_hosts_file_adds_names_lists_and_removes_with_mode_0600(hosts_file):
    assert hosts.load() == {"local": "local"}
    assert hosts.add("ssh://root@h2") == "h1"
    assert hosts.add("ssh://me@h3", name="big") == "big"
    assert stat.S_IMODE(hosts_file.stat().st_mode) == 0o600
    assert hosts.load() == {"local": "local", "h1": "ssh://root@h2", "big": "ssh://me@h3"}
    assert hosts.remove("h1") == "ssh://root@h2"
    assert list(hosts.load()) == ["local", "big"]


@pytest.mark.parametrize("url", ["h2", "http://h2", "ssh://"])
def test_a_host_is_an_engine_url(url):
    with pytest.raises(ConfigError, match="engine URL"):
        hosts.add(url)


def test_unknown_and_duplicate_hosts_are_errors():
    hosts.add("ssh://root@h2", name="h2")
    with pytest.raises(ConfigError, match="already known"):
        hosts.add("ssh://root@h9", name="h2")
    with pytest.raises(ConfigError, match="no host 'nope'"):
        hosts.remove("nope")
    with pytest.raises(ConfigError):
        hosts.remove("local")


def test_published_ports_are_reached_on_loopback_for_this_machine_only():
    assert hosts.address_of("ssh://root@localhost") == "127.0.0.1"
    assert hosts.address_of("local") == "127.0.0.1"
    assert hosts.address_of("ssh://root@10.1.2.3:2222") == "10.1.2.3"


def _backend(monkeypatch, placement=None):
    monkeypatch.setattr(hosts, "client", lambda url, timeout=120: SimpleNamespace(url=url, ping=bool, close=bool))
    monkeypatch.setattr(HostsBackend.__mro__[1], "__init__", lambda self, kind, **kw: setattr(self, "client", kw["client"]))
    return HostsBackend(None, hosts={"a": "local", "b": "ssh://root@localhost", "c": "ssh://u@c"}, placement=placement)


def test_placement_by_name_and_round_robin_for_the_rest(monkeypatch):
    backend = _backend(monkeypatch, placement={"node4": "c"})
    backend.placed = backend.place(["node", "node2", "node3", "node4", "node5"])
    assert backend.placed == {"node": "a", "node2": "b", "node3": "c", "node4": "c", "node5": "a"}
    assert backend.groups() == [["node", "node5"], ["node2"], ["node3", "node4"]]


def test_placement_on_an_unknown_host_or_node_is_an_error(monkeypatch):
    with pytest.raises(ConfigError, match="unknown host"):
        _backend(monkeypatch, placement={"node": "zz"})
    with pytest.raises(ConfigError, match="unknown node"):
        _backend(monkeypatch, placement={"node9": "a"}).place(["node"])


class FakeEngine:
    def __init__(self, engine_id, tags=()):
        self.engine_id, self.tags, self.loaded = engine_id, set(tags), b""
        self.images = SimpleNamespace(get=self._get, load=self._load)

    def info(self):
        return {"ID": self.engine_id}

    def _get(self, tag):
        if tag not in self.tags:
            raise docker.errors.ImageNotFound(tag)
        return SimpleNamespace(save=lambda chunk_size, named: iter([b"layer1", b"layer2"]))

    def _load(self, data):
        self.loaded = b"".join(data)
        self.tags.add("fakenet-node:abc")


def test_images_stream_only_to_engines_that_lack_the_tag():
    source = FakeEngine("E1", {"fakenet-node:abc"})
    same, has, lacks = FakeEngine("E1"), FakeEngine("E2", {"fakenet-node:abc"}), FakeEngine("E3")
    lines = []
    assert distribute("fakenet-node:abc", source, {"same": same, "has": has, "lacks": lacks}, lines.append) == ["lacks"]
    assert lacks.loaded == b"layer1layer2" and same.loaded == b"" and has.loaded == b""
    assert lines[0] == "lacks: streaming fakenet-node:abc (save | load)"


def test_subnets_avoid_every_network_in_use_and_fit_the_nodes():
    from fakenet.harness.backends import subnets

    taken = [ipaddress.ip_network("10.231.%d.0/24" % i) for i in range(256) if i != 77]
    assert list(subnets.free(swarm.OVERLAY_POOL, 24, taken, "run1")) == [ipaddress.ip_network("10.231.77.0/24")]
    assert [subnets.prefix_for(n) for n in (2, 64, 253, 254, 1000)] == [24, 24, 24, 23, 22]
    network = SimpleNamespace(attrs={"IPAM": {"Config": [{"Subnet": "10.232.5.0/24", "Gateway": "10.232.5.1"}]}})
    assert subnets.addresses(network, ["node", "node2"]) == {"node": "10.232.5.2", "node2": "10.232.5.3"}


class WorkerCopy:
    """A worker engine whose copy of the overlay outlives the manager's removal for `lingers` listings."""

    def __init__(self, lingers):
        self.lingers, self.listings = lingers, 0
        self.api = SimpleNamespace(base_url="ssh://worker")
        self.networks = SimpleNamespace(list=self._list)

    def _list(self, filters):
        assert filters == {"id": "overlay-id"}
        self.listings += 1
        return [SimpleNamespace(id="overlay-id")] if self.listings <= self.lingers else []


def removing_backend(monkeypatch, worker):
    monkeypatch.setattr(swarm, "swarm_lock", lambda client: contextlib.nullcontext())
    released = []
    monkeypatch.setattr(swarm, "release", lambda manager, workers: released.append(workers))
    backend = HostsBackend.__new__(HostsBackend)
    removed = []
    backend.__dict__.update(_joined=True, manager_name="h1", client=object(), clients={"h1": object(), "h2": worker},
                            placed={"node": "h1", "node2": "h2"}, network_name="fakenet-run",
                            network=SimpleNamespace(id="overlay-id", remove=lambda: removed.append(True)))
    return backend, removed, released


def test_removing_the_overlay_waits_until_every_worker_engine_has_forgotten_its_copy(monkeypatch):
    worker = WorkerCopy(lingers=3)
    backend, removed, released = removing_backend(monkeypatch, worker)
    backend._remove_overlay()
    assert removed == [True] and worker.listings == 4  # returned on the first listing without it
    assert released == [[worker]] and backend.network is None


def test_a_worker_that_keeps_the_overlay_fails_close_naming_it(monkeypatch):
    monkeypatch.setattr(hosts_backend, "OVERLAY_TIMEOUT", 0.2)
    backend, _, _ = removing_backend(monkeypatch, WorkerCopy(lingers=10**6))
    with pytest.raises(WaitTimeout, match="overlay fakenet-run gone from every worker engine") as caught:
        backend._remove_overlay()
    assert "ssh://worker" in str(caught.value)
