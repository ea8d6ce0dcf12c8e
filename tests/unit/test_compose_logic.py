"""Compose invocation and prune decisions, without an engine."""

import ipaddress
import os

import docker.errors

import pytest

from fakenet import cli, compose, compose_addresses, labels
from fakenet.harness.backends import subnets
from fakenet.errors import FakenetError


SUBNET = ipaddress.ip_network("10.233.7.0/24")


def test_names():
    assert compose.node_names(5) == ["node", "node2", "node3", "node4", "node5"]


def test_override_extends_node4_and_gives_everyone_a_fixed_address_and_every_peers_address():
    doc = compose.override_document(6, "fakenet", SUBNET)
    assert set(doc["services"]) == set(compose.node_names(6))
    assert doc["services"]["node6"]["extends"]["service"] == "node4"
    assert doc["services"]["node6"]["volumes"] == ["node6-data:/data"]
    assert doc["networks"]["p2p"]["ipam"]["config"] == [{"subnet": "10.233.7.0/24"}]
    ips = [s["networks"]["p2p"]["ipv4_address"] for s in doc["services"].values()]
    assert ips == [f"10.233.7.{i}" for i in range(2, 8)], "the gateway (.1) is Docker's"
    peers = " ".join(f"/ip4/{ip}/tcp/4011" for ip in ips)
    for name, service in doc["services"].items():
        assert service["environment"]["FAKENET_PEERS"] == peers
        assert service["environment"]["FAKENET_ANNOUNCE"] == f"/ip4/{service['networks']['p2p']['ipv4_address']}/tcp/4011"
        assert service["networks"]["p2p"]["aliases"] == [name]
    assert doc["services"]["node6"]["environment"]["FAKENET_NODE_NAME"] == "node6"
    assert set(doc["volumes"]) == {"node5-data", "node6-data"}


def test_litecoin_nodes_dial_later_nodes_addresses_once_per_link():
    doc = compose.override_document(4, "litecoin", SUBNET)
    peers = {name: s["environment"]["LITECOIN_PEERS"] for name, s in doc["services"].items()}
    assert peers == {"node": "10.233.7.3 10.233.7.4 10.233.7.5", "node2": "10.233.7.4 10.233.7.5",
                     "node3": "10.233.7.5", "node4": ""}
    assert "volumes" not in doc


def test_node_count_round_trips_through_the_override(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    compose.set_node_count("p", 7, "fakenet", SUBNET)
    assert compose.node_count("p") == 7
    compose.set_node_count("p", 4, "fakenet", SUBNET)
    assert compose.node_count("p") == 4
    assert str(compose.override_path("p")) in compose.command("p", ["ps"], kind="litecoin")
    with pytest.raises(FakenetError):
        compose.set_node_count("p", 3, "fakenet", SUBNET)


def test_a_kept_subnet_is_reused_and_a_new_one_is_clear_of_every_engine_network():
    class Networks:
        def __init__(self, known):
            self.known = known

        def get(self, name):
            if name not in self.known:
                raise docker.errors.NotFound(name)
            return type("N", (), {"attrs": {"IPAM": {"Config": [{"Subnet": self.known[name]}]}}})

        def list(self):
            return [type("N", (), {"attrs": {"IPAM": {"Config": [{"Subnet": s}]}}}) for s in self.known.values()]

    taken = {f"other{i}": f"10.233.{i}.0/24" for i in range(255)}
    client = type("C", (), {"networks": Networks({**taken, "p_p2p": "10.233.9.0/24"})})
    assert subnets.kept_or_free(client, "p_p2p", compose_addresses.POOL, 24, "p") == ipaddress.ip_network("10.233.9.0/24")
    assert subnets.kept_or_free(client, "q_p2p", compose_addresses.POOL, 24, "q") == ipaddress.ip_network("10.233.255.0/24")


def test_only_the_default_project_gets_the_standard_host_ports(monkeypatch):
    for key in compose.STANDARD_HOST_PORTS:
        monkeypatch.delenv(key, raising=False)
    assert compose.environment("fakenet", "img")["FAKENET_RPC_HOST_PORT"] == "6433"
    other = compose.environment("ci-1", None)
    assert "FAKENET_RPC_HOST_PORT" not in other and other["FAKENET_IMAGE"] == compose.UNBUILT_IMAGE


def test_command_uses_our_compose_binary_project_and_files():
    cmd = compose.command("p", ["ps"])
    assert cmd[0].endswith("docker-compose") and os.path.dirname(cmd[0]) != "/usr/bin"
    assert cmd[1:3] == ["-p", "p"] and str(compose.BASE_FILE) in cmd and cmd[-1] == "ps"


def test_exec_gets_dash_t_when_stdin_is_not_a_terminal(monkeypatch):
    seen = []
    monkeypatch.setattr(compose, "run", lambda project, args, **kw: seen.append(args) or type("R", (), {"returncode": 0}))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["-p", "x", "exec", "node", "cli", "-getinfo"]) == 0
    assert seen == [["exec", "-T", "node", "cli", "-getinfo"]]


def test_global_project_option():
    args, extra = cli.parser().parse_known_args(["-p", "a", "up", "-d", "--no-color"])
    assert (args.project, args.verb, args.detach, extra) == ("a", "up", True, ["--no-color"])
    assert cli._project_and_rest(["--project=b", "logs", "node", "-f"]) == ("b", ["logs", "node", "-f"])
    with pytest.raises(FakenetError):
        cli._project_and_rest(["-p"])


@pytest.mark.parametrize("argv, message", [
    (["up", "-d", "--nodes", "x"], "--nodes: expected a whole number, not 'x'"),
    (["up", "--nodes", "1"], "at least 2 nodes"),
    (["scenario", "run", "f.yaml", "--backend", "foo"], "invalid choice: 'foo'"),
    (["scenario", "run", "f.yaml", "--kind", "nosuchkind"], "invalid choice: 'nosuchkind'"),
    (["scenario", "run", "f.yaml", "--seed", "-3"], "expected a seed >= 0"),
    (["scenario"], "required: ACTION"),
    (["status", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_print_one_line_and_exit_1(argv, message, capsys):
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_compose_verbs_pass_through():
    assert not cli._is_own_verb(["exec", "node", "cli", "-getinfo"], {"up", "status"})
    assert not cli._is_own_verb(["-p", "x", "logs", "node", "-f"], {"up", "status"})
    assert cli._is_own_verb(["-p", "x", "up", "-d"], {"up", "status"})


def test_owner_liveness():
    host, pid, machine, start = labels.owner_value().split(":")
    assert labels.owner_alive(None)
    assert labels.owner_alive(labels.owner_value())
    assert not labels.owner_alive(f"{host}:999999999:{machine}:{start}")  # no such process here
    assert not labels.owner_alive(f"{host}:999999999")  # a label written before machine and start
    assert labels.owner_alive("some-other-host:1")
    assert labels.owner_alive("some-other-host:1:aaaaaaaaaaaa:5")


def test_an_owner_on_another_machine_with_this_hostname_is_not_judged_here():
    host, _, machine, _ = labels.owner_value().split(":")
    other = "0" * 12 if machine != "0" * 12 else "1" * 12
    assert labels.owner_alive(f"{host}:999999999:{other}:5")  # its pid means nothing on this machine


def test_a_reused_pid_does_not_keep_a_dead_owners_resources():
    host, pid, machine, start = labels.owner_value().split(":")
    assert labels.owner_alive(f"{host}:{pid}:{machine}:{start}")
    assert not labels.owner_alive(f"{host}:{pid}:{machine}:{int(start) - 1}")  # this pid, an earlier process


def test_a_serving_node_counts_as_healthy_before_dockers_next_check():
    from fakenet import netstatus

    assert netstatus._healthy("running/starting") == "running/healthy"
    assert netstatus._healthy("running/unhealthy") == "running/unhealthy"  # Docker's verdict of failure stands
    assert netstatus._healthy("running") == "running"


def test_status_probes_use_the_credentials_and_address_the_container_has():
    from types import SimpleNamespace

    from fakenet import kinds, netstatus
    from fakenet.errors import ConfigError
    from fakenet.harness.backends.docker import container_credentials

    container = SimpleNamespace(name="fakenet-node-1", attrs={
        "Config": {"Env": ["PATH=/bin", "FAKENET_RPCUSER=alice", "FAKENET_RPCPASSWORD=s=cret"]},
        "NetworkSettings": {"Networks": {"p2p": {"IPAddress": "172.20.0.3"}}}})
    assert container_credentials(kinds.get("fakenet"), container) == ("alice", "s=cret")
    assert netstatus._address(container) == "172.20.0.3"
    container.attrs["Config"]["Env"] = []
    with pytest.raises(ConfigError, match="no RPC credentials"):  # no guessing of a default password
        container_credentials(kinds.get("fakenet"), container)


def test_up_stops_listing_containers_once_all_run_with_an_address(monkeypatch):
    """Issue 28: every poll listed the containers (a call per container to the engine, every 100 ms)."""
    from types import SimpleNamespace

    from fakenet import netstatus

    def container(name, status, address):
        return SimpleNamespace(name=name, status=status, labels={}, attrs={
            "NetworkSettings": {"Networks": {"p2p": {"IPAddress": address}} if address else {}}})

    listings = [[container("node", "running", "10.0.0.2"), container("node2", "created", None)],
                [container("node", "running", "10.0.0.2"), container("node2", "running", "10.0.0.3")]]
    calls = []
    monkeypatch.setattr(netstatus, "containers", lambda client, project: calls.append(project) or listings[
        min(len(calls), len(listings)) - 1])
    monkeypatch.setattr(netstatus, "probe_listed", lambda kind, found, pool=None: [c.name for c in found])
    listing = netstatus._Listing(None, "p", 2)
    probed = [listing.probe(None) for _ in range(4)]
    assert (len(calls), probed[-1]) == (2, ["node", "node2"])
