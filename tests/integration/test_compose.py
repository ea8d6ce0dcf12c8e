"""Issue 3 acceptance: the developer's `./fake` loop against the real engine."""

import ipaddress
import json
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest

from fakenet import compose, compose_addresses, engine_pause, netstatus
from fakenet.harness.waits import wait_for

pytestmark = pytest.mark.docker
ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def fake(project, *args, check=True):
    """The real command a developer types (minus the venv check `./fake` does first)."""
    result = subprocess.run([sys.executable, "-m", "fakenet", "-p", project, *args], cwd=compose.REPO,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"./fake {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def leftovers(client, project):
    label = {"label": f"io.fakenet.project={project}"}
    return ([c.name for c in client.containers.list(all=True, ignore_removed=True, filters=label)] +
            [n.name for n in client.networks.list(filters=label)] +
            [v.name for v in client.volumes.list(filters=label)])


@pytest.fixture
def client():
    return docker.from_env()


@pytest.fixture
def project(client):
    name = f"ft{uuid.uuid4().hex[:8]}"
    yield name
    fake(name, "down", "-v", "--remove-orphans", check=False)
    assert leftovers(client, name) == [], "./fake down -v left resources behind"


def heights(client, project):
    return {row.name: row.height for row in netstatus.probe_all(client, project)}


def test_up_exec_mine_down_and_up_again_starts_fresh(client, project):
    up = fake(project, "up", "-d")
    assert "node4" in up.stdout and "12D3KooW" in up.stdout, up.stdout
    info = json.loads(fake(project, "exec", "node", "cli", "-getinfo").stdout)
    assert info["connections"]["total"] == 3
    first_ids = {row.name: row.peerid for row in netstatus.probe_all(client, project)}
    fake(project, "exec", "node", "cli", "generatetoaddress", "3", ADDRESS)
    wait_for(lambda: heights(client, project), lambda h: set(h.values()) == {3}, timeout=20,
             expected="every node at height 3")
    fake(project, "down", "-v")
    assert leftovers(client, project) == []
    fake(project, "up", "-d")
    rows = netstatus.probe_all(client, project)
    assert {row.height for row in rows} == {0}
    assert all(first_ids[row.name] != row.peerid for row in rows), "identities survived down -v"


def docker_health(container) -> str:
    container.reload()
    return container.attrs["State"].get("Health", {}).get("Status", "")


def test_up_again_after_a_pause_is_prompt_though_docker_still_says_unhealthy(client, project, monkeypatch):
    """A paused container is "unhealthy" to Docker at once, and stays so after its unpause until its next
    health check (10 s later on a quiet engine). `up -d` again waited on that verdict, from the listing it
    took first, so it failed after its whole timeout with the node answering and meshed all along; it
    judges by the nodes' own answers."""
    fake(project, "up", "-d")
    (node4,) = client.containers.list(filters={"label": [f"com.docker.compose.project={project}",
                                                         "com.docker.compose.service=node4"]})
    engine_pause.freeze(node4.pause, "node4")  # runc's cgroup v1 freezer can lose a race with the health check's exec
    try:
        wait_for(lambda: docker_health(node4), lambda health: health == "unhealthy", timeout=120,
                 expected="Docker's health checks of the paused node4 failed")
    finally:
        node4.unpause()
    monkeypatch.setenv("FAKENET_UP_TIMEOUT", "60")  # the default 120 s, halved: red without the fix in a minute
    began = time.monotonic()
    up = fake(project, "up", "-d", check=False)
    took = time.monotonic() - began
    assert up.returncode == 0, f"./fake up -d exited {up.returncode} after {took:.0f}s\n{up.stdout}\n{up.stderr}"
    assert took < 20, f"`up -d` took {took:.0f}s"
    rows = netstatus.probe_all(client, project)
    assert [(row.name, row.peers, row.error) for row in rows] == [(name, 3, "") for name in compose.node_names(4)]


def test_up_brings_a_paused_node_back(client, project):
    """`./fake pause node3` then `./fake up -d` failed with the engine's `cannot start a paused container,
    try unpause instead`, as compose's own up does."""
    fake(project, "up", "-d")
    fake(project, "pause", "node3")
    up = fake(project, "up", "-d", check=False)
    assert up.returncode == 0 and f" Container {project}-node3-1 Unpaused" in up.stderr, up.stderr
    rows = netstatus.probe_all(client, project)
    assert [(row.name, row.peers, row.error) for row in rows] == [(name, 3, "") for name in compose.node_names(4)]


def test_eight_nodes_come_up_meshed(client, project):
    fake(project, "up", "-d", "--nodes", "8")
    rows = netstatus.probe_all(client, project)
    assert [row.name for row in rows] == compose.node_names(8)
    assert {row.peers for row in rows} == {7}


def test_two_projects_run_side_by_side(client):
    names = [f"ft{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda name: fake(name, "up", "-d"), names))
        for name in names:
            rows = netstatus.probe_all(client, name)
            assert len(rows) == 4 and {row.peers for row in rows} == {3}
        ids = [{row.peerid for row in netstatus.probe_all(client, name)} for name in names]
        assert not ids[0] & ids[1]
    finally:
        for name in names:
            fake(name, "down", "-v", check=False)
    assert leftovers(client, names[0]) == [] and leftovers(client, names[1]) == []


def test_up_whose_subnet_another_run_takes_first_tries_the_next(client, project, monkeypatch, capsys):
    """Two `up`s at once could pick the same free subnet; the engine refuses the second network ("Pool
    overlaps"), which failed a parallel worker's `up` (2026-12-06). Here a squatter takes the subnet
    between `up`'s look and compose's create, on the real engine."""
    from fakenet import cli

    picked, squatters = [], []
    look = cli._compose_subnet

    def squat(reads, name, tried):
        """The subnet `up` looks at, taken by a network of the test's own before compose creates."""
        for _ in range(8):
            subnet = look(reads, name, tried)
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
            try:
                squatters.append(client.networks.create(f"{name}-squatter", ipam=ipam,
                                                        labels={"io.fakenet.project": f"{name}-squatter"}))
                return subnet
            except docker.errors.APIError as exc:
                # Another worker's network took it between the look and the squat (seen in CI,
                # 2026-12-07): `up` would not get it either, so the squat moves to the next free one.
                assert "Pool overlaps" in str(exc), exc
        raise AssertionError("other networks took eight subnets in a row between a look and the squat")

    def look_then_lose(reads, name, tried):
        subnet = look(reads, name, tried) if squatters else squat(reads, name, tried)
        picked.append(subnet)
        return subnet

    monkeypatch.setattr(cli, "_compose_subnet", look_then_lose)
    try:
        assert cli.main(["-p", project, "up", "-d"]) == 0
        assert len(picked) == 2 and picked[0] != picked[1], picked
        assert f"another network took {picked[0]}" in capsys.readouterr().err
        subnet = client.networks.get(f"{project}_p2p").attrs["IPAM"]["Config"][0]["Subnet"]
        assert ipaddress.ip_network(subnet) == picked[1]
        assert {row.peers for row in netstatus.probe_all(client, project)} == {3}
    finally:
        for network in squatters:
            network.remove()


def test_a_host_port_another_program_holds_is_said_as_that_with_the_setting_that_moves_it(project, monkeypatch):
    """The engine's `driver failed programming external connectivity … bind: address already in use`
    read as the engine failing: a Ceramic daemon of the developer's own on 7007 is the likely holder."""
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setenv("FAKENET_API_HOST_PORT", str(port))
        up = fake(project, "up", "-d", check=False)
    error = [line for line in up.stderr.splitlines() if line.startswith("fake")]
    assert up.returncode == 1 and "Traceback" not in up.stderr, up.stderr
    assert error == [f"fake: node cannot publish 127.0.0.1:{port}: another program on this machine listens there "
                     f"(set FAKENET_API_HOST_PORT to a free port, or unset it for one picked free); the nodes "
                     f"started stay (`./fake -p {project} down -v` removes them)"], up.stderr


def test_status_without_a_network_is_one_clear_line(project):
    result = fake(project, "status", check=False)
    assert result.returncode == 1
    error = result.stderr.strip()  # then the fakenet projects that do run, if any: "; running: a, b"
    assert len(error.splitlines()) == 1, error
    assert error.startswith(f"fake: no network {project!r} is running (start one with ./fake -p {project} up -d)")
    assert fake(project, "graph", check=False).stderr.strip() == \
        f"fake: no running network {project!r} to attach to (start one with ./fake -p {project} up -d)"


def test_graph_and_dump_work_with_every_node_stopped(project, tmp_path):
    """README: `status`, `graph` and `dump` work with nodes stopped. With all of them stopped (a network that
    crashed whole, whose logs a dump is for) graph and dump said no network was running."""
    fake(project, "up", "-d")
    fake(project, "stop")
    assert fake(project, "graph").stdout.split("\n")[:4] == [f"{name}: (down)" for name in compose.node_names(4)]
    fake(project, "dump", str(tmp_path / "bundle"))
    logs = {path.name: path.read_text() for path in (tmp_path / "bundle" / "logs").iterdir()}
    assert sorted(logs) == [f"{name}.log" for name in compose.node_names(4)]
    assert all("event=stopping" in text for text in logs.values()), logs


def test_a_mistyped_verb_is_one_line_not_composes_usage(project):
    result = fake(project, "upp", check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == "fake: unknown command 'upp' (did you mean 'up'?) (see fake --help)"


def peer_addresses(project, node):
    """The host part of every peer address `node` reports (getpeerinfo's `addr`, host:port)."""
    peers = json.loads(fake(project, "exec", node, "cli", "getpeerinfo").stdout)
    return {peer["addr"].rsplit(":", 1)[0] for peer in peers}


def dialled_hosts(container):
    """The hosts the node was told to dial: its FAKENET_PEERS multiaddrs' or LITECOIN_PEERS' hosts."""
    env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
    if "LITECOIN_PEERS" in env:
        return env["LITECOIN_PEERS"].split()
    return [addr.split("/")[2] for addr in env["FAKENET_PEERS"].split()]


@pytest.mark.parametrize("kind", ["fakenet", "litecoin"])
def test_compose_nodes_dial_fixed_addresses_and_mesh(client, project, kind):
    """Issue 27 item 8: peers dial addresses, not names the engine's DNS can lose; names stay aliases."""
    fake(project, "up", "-d", "--kind", kind)
    network = client.networks.get(f"{project}_p2p")
    subnet = ipaddress.ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"])
    assert subnet.subnet_of(compose_addresses.POOL), subnet
    containers = {c.labels["com.docker.compose.service"]: c for c in
                  client.containers.list(ignore_removed=True, filters={"label": f"com.docker.compose.project={project}"})}
    attached = {name: c.attrs["NetworkSettings"]["Networks"][f"{project}_p2p"] for name, c in containers.items()}
    assert {name: a["IPAddress"] for name, a in attached.items()} == compose_addresses.addresses(subnet, compose.node_names(4))
    assert all(name in a["Aliases"] for name, a in attached.items())
    dialled = {name: dialled_hosts(c) for name, c in containers.items()}
    ips = {name: a["IPAddress"] for name, a in attached.items()}
    assert set().union(*dialled.values()) <= set(ips.values()), dialled
    assert set(dialled["node"]) - {ips["node"]} == set(ips.values()) - {ips["node"]}, dialled
    for name in containers:
        seen = peer_addresses(project, name)
        assert len(seen) == 3 and all(ipaddress.ip_address(host) in subnet for host in seen), (name, seen)


def test_exec_on_a_stopped_node_is_one_line_saying_so_and_what_to_type(client, project):
    """Compose answered `service "node3" is not running` (a paused node: the engine's `Error response from
    daemon: Container 8d8f… is paused`); now fakenet's one line says how the node ended and what restarts it."""
    fake(project, "up", "-d")
    fake(project, "kill", "node3")  # SIGKILL: exit 137, as a crash or the OOM killer leaves it
    result = fake(project, "exec", "node3", "cli", "-getinfo", check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.strip() == (f"fake exec: node node3 is not running (exited with code 137): `./fake -p {project} "
                                     f"up -d` starts it again, `./fake -p {project} logs node3` shows why it stopped")
    fake(project, "up", "-d")  # what the line says to type
    assert json.loads(fake(project, "exec", "node3", "cli", "-getinfo").stdout)["version"]
    fake(project, "pause", "node2")
    paused = fake(project, "exec", "node2", "cli", "-getinfo", check=False)
    assert (paused.returncode, paused.stderr.strip()) == (1, f"fake exec: node node2 is paused (`./fake -p {project} "
                                                             f"unpause node2` resumes it)")
    fake(project, "unpause", "node2")
    assert json.loads(fake(project, "exec", "node2", "cli", "-getinfo").stdout)["version"]
