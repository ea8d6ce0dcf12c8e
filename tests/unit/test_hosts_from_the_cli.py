"""Issue 27 item 6: the hosts backend driven from the command line (reach, hosts, placement), an
unreachable host failing fast and by name, and one swarm lock per engine for every checkout."""

import fcntl
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests

from fakenet import cli, host_registry as hosts, state
from fakenet.bundle import replay
from fakenet.errors import ConfigError, FakenetError
from fakenet.harness.backends import hosts_flags, reachability, swarm
from fakenet.harness.backends.hosts import HostsBackend
from fakenet.scenario.runner import Result

URLS = {"local": "local", "h2": "ssh://root@h2", "h3": "tcp://10.9.9.9:2376"}


@pytest.fixture(autouse=True)
def hosts_file(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_HOSTS_FILE", str(tmp_path / "hosts.json"))
    monkeypatch.setenv("FAKENET_INSECURE_TCP", "1")


def engines(monkeypatch, silent=()):
    """Clients whose engine answers a ping, except the URLs in `silent` (a ping there fails as requests does)."""
    def client(url, timeout=120):
        def ping():
            if url in silent:
                raise requests.exceptions.ConnectionError(f"timed out connecting to {url}")
            return True
        return SimpleNamespace(url=url, ping=ping, close=bool)
    monkeypatch.setattr(hosts, "client", client)
    monkeypatch.setattr(HostsBackend.__mro__[1], "__init__", lambda self, kind, **kw: setattr(self, "client", kw["client"]))


def test_the_reach_fake_hosts_add_recorded_is_the_runs_unless_the_run_gives_another(monkeypatch):
    engines(monkeypatch)
    hosts.add("ssh://root@h2", name="h2", reach="172.17.0.3")
    hosts.add("tcp://10.9.9.9:2376", name="h3")
    assert HostsBackend(None, hosts=["local", "h2", "h3"]).reach == {"h2": "172.17.0.3"}
    assert HostsBackend(None, hosts=["h2", "h3"], reach={"h2": "10.0.0.2", "h3": "10.0.0.3"}).reach == \
        {"h2": "10.0.0.2", "h3": "10.0.0.3"}
    # a host given by another URL under the same name is not the recorded one: its reach does not apply
    assert HostsBackend(None, hosts={"h2": "ssh://other@h2"}).reach == {}


def test_a_bare_url_in_an_older_hosts_file_still_loads(tmp_path):
    (tmp_path / "hosts.json").write_text('{"h2": "ssh://root@h2"}')
    assert hosts.load() == {"local": "local", "h2": "ssh://root@h2"} and hosts.reach_of(hosts.load()) == {}
    hosts.add("ssh://me@h3", name="h3", reach="h3.lan")
    assert hosts.reach_of(hosts.load()) == {"h3": "h3.lan"}
    assert hosts.remove("h2") == "ssh://root@h2"


@pytest.mark.parametrize("address", ["http://h2", "h2:2375/x", "", "a b"])
def test_a_reach_address_is_a_host_name_or_ip_only(address):
    with pytest.raises(ConfigError, match="reach address"):
        hosts.add("ssh://root@h2", reach=address)


def test_a_host_whose_engine_does_not_answer_fails_the_run_at_once_by_name(monkeypatch):
    engines(monkeypatch, silent={"tcp://10.9.9.9:2376"})
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"host h3 \(tcp://10.9.9.9:2376\) does not answer .*fake hosts ls"):
        HostsBackend(None, hosts=URLS)
    assert time.monotonic() - started < 5


def test_published_ports_that_answer_or_refuse_are_reached_and_silence_is_not():
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        reachability.check("h2", "127.0.0.1", listening.getsockname()[1])
        port = listening.getsockname()[1]
    reachability.check("h2", "127.0.0.1", port)  # nothing listens now: refused, yet reached
    with socket.socket() as silent, socket.create_connection(silent_endpoint(silent), timeout=1):
        started = time.monotonic()
        with pytest.raises(ConfigError, match=r"cannot reach host h2's published ports at 127.0.0.1:\d+ "
                                              r"\(TimeoutError.*--reach h2="):
            reachability.check("h2", *silent.getsockname(), timeout=0.5)
        assert time.monotonic() - started < 3


def silent_endpoint(sock):
    """A listener whose accept queue one connection fills: the kernel drops later SYNs, as a firewall would."""
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    return sock.getsockname()


def test_the_first_container_on_each_host_proves_the_harness_reaches_it(monkeypatch):
    engines(monkeypatch)
    backend = HostsBackend(None, hosts=URLS, reach={"h3": "192.0.2.1"})
    backend.placed = {"node": "local", "node2": "h3", "node3": "h3"}
    checked = []
    monkeypatch.setattr(reachability, "check", lambda host, address, port: checked.append((host, address, port)))
    container = SimpleNamespace(reload=bool, attrs={"NetworkSettings": {"Ports": {"6433/tcp": [{"HostPort": "32768"}],
                                                                                 "4011/tcp": None}}})
    monkeypatch.setattr(HostsBackend.__mro__[1], "run_container", lambda self, spec: container)
    for name in ("node", "node2", "node3"):
        backend.run_container(SimpleNamespace(name=name))
    assert checked == [("local", "127.0.0.1", 32768), ("h3", "192.0.2.1", 32768)]


def test_hosts_options_round_trip_through_their_flags():
    options = hosts_flags.options({"hosts": "local,h2", "reach": "h2=172.17.0.3", "advertise": "10.0.0.1",
                                   "overlay_encryption": "OFF"})
    assert options == {"hosts": ["local", "h2"], "reach": {"h2": "172.17.0.3"}, "advertise": "10.0.0.1",
                       "overlay_encryption": "off"}
    assert hosts_flags.words(options) == ["--hosts", "local,h2", "--reach", "h2=172.17.0.3",
                                          "--advertise", "10.0.0.1", "--overlay-encryption", "off"]
    assert hosts_flags.options({"hosts": None, "reach": None, "advertise": None, "overlay_encryption": None}) == {}


def test_the_replay_line_repeats_the_hosts_options(tmp_path):
    scenario = SimpleNamespace(path=tmp_path / "s.yaml", nodes=4)
    result = Result(scenario, "hosts", kind="fakenet", seed=3, nodes=4,
                    options={"hosts": ["local", "h2"], "reach": {"h2": "172.17.0.3"}})
    assert replay.scenario_command(result).endswith("--hosts local,h2 --reach h2=172.17.0.3")


@pytest.mark.parametrize("argv, message", [
    (["scenario", "run", "s.yaml", "--backend", "local", "--reach", "h2=10.0.0.2"],
     "--reach only goes with --backend hosts, not --backend local"),
    (["scenario", "run", "s.yaml", "--backend", "hosts", "--reach", "h2"], "--reach is HOST=ADDRESS"),
    (["scenario", "run", "s.yaml", "--backend", "hosts", "--overlay-encryption", "maybe"], "overlay encryption is one of"),
    (["hosts", "add", "ssh://root@h2", "--reach", "http://h2"], "reach address is a host name"),
])
def test_bad_hosts_flags_are_one_line_before_any_work(argv, message, tmp_path, monkeypatch):
    (tmp_path / "s.yaml").write_text("name: s\nnodes: 2\nsteps:\n  - crash: node2\n")
    result = subprocess.run([sys.executable, "-m", "fakenet", *argv], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_swarm_lock_is_the_engines_whatever_checkout_takes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_LOCK_DIR", str(tmp_path / "locks"))
    engine = SimpleNamespace(info=lambda: {"ID": "ABCD:EFGH:1234"})
    paths = []
    for checkout in ("one", "two"):
        monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path / checkout / ".cache"))
        paths.append(state.engine_lock_path("swarm", engine.info()["ID"]))
    assert paths[0] == paths[1] == tmp_path / "locks" / "swarm-ABCD-EFGH-1234.lock"
    assert state.engine_lock_path("swarm", "OTHER") != paths[0]
    with swarm.swarm_lock(engine):
        with open(paths[0]) as handle, pytest.raises(BlockingIOError):
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(paths[0]) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_an_ssh_host_that_refuses_the_connection_is_one_line_without_paramikos_errno_none():
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:  # a port nothing listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "fakenet", "hosts", "add", f"ssh://root@127.0.0.1:{port}"],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot reach the Docker engine at ssh://root@127.0.0.1:{port}: Unable to connect" in done.stderr
    assert "Errno None" not in done.stderr


def test_a_hosts_name_never_added_is_refused_by_name_before_the_run(capsys, monkeypatch):
    monkeypatch.setattr("fakenet.scenario.console.run_with_progress", lambda *a, **k: pytest.fail("refused first"))
    hosts.add("ssh://root@h2", name="dind")
    scenario = str(cli.compose.REPO / "scenarios" / "node-crash.yaml")
    assert cli.main(["scenario", "run", scenario, "--backend", "hosts", "--hosts", "local,dnd"]) == 1
    error = capsys.readouterr().err.strip()
    assert error == ("fake: no host named 'dnd' (did you mean 'dind'?) (known: local, dind; "
                     "`fake hosts add URL --name dnd` adds one)")
    with pytest.raises(ConfigError, match="not 'ssh://'"):  # a URL still says what an engine URL is
        hosts.resolve(["ssh://"])
