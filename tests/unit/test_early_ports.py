"""Issue 28: `fakenet-node` listens on its HTTP ports before its modules load (fakenet/node/early.py),
so a readiness probe that comes meanwhile waits in the backlog instead of being refused."""

import gc
import socket

import pytest

from fakenet.node import daemon, early, http_ports


def free_ports(count: int) -> list[int]:
    holders = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
    ports = [holder.getsockname()[1] for holder in holders]
    for holder in holders:
        holder.close()
    return ports


def environment(ports: list[int]) -> dict[str, str]:
    return {"FAKENET_BIND": "127.0.0.1", **{f"FAKENET_{name}": str(port) for name, port in zip(early.HTTP_PORTS, ports)}}


@pytest.fixture(autouse=True)
def nothing_left_bound():
    yield
    early.release()


def test_a_probe_before_the_imports_is_accepted_and_the_node_serves_it_on_the_same_socket():
    ports = free_ports(len(early.HTTP_PORTS))
    assert sorted(early.bind(environment(ports))) == sorted(("127.0.0.1", port) for port in ports)
    rpc = ports[0]
    probe = socket.create_connection(("127.0.0.1", rpc), timeout=2)  # nothing serves yet: the kernel accepts
    server = http_ports.listening_socket("127.0.0.1", rpc)  # what HttpPorts binds once the modules are loaded
    server.settimeout(2)
    accepted, _ = server.accept()  # the probe made before, waiting in this socket's backlog
    probe.sendall(b"ping")
    assert accepted.recv(4) == b"ping"
    for end in (probe, accepted, server):
        end.close()
    assert early.take("127.0.0.1", rpc) is None, "taken once"


def test_a_port_in_use_leaves_every_port_to_the_node_which_fails_its_start_as_before():
    ports = free_ports(len(early.HTTP_PORTS))
    taken = socket.create_server(("127.0.0.1", ports[2]))
    try:
        assert early.bind(environment(ports)) == []
        for port in ports[:2] + ports[3:]:  # none held: bindable again
            socket.create_server(("127.0.0.1", port)).close()
        with pytest.raises(OSError):
            http_ports.listening_socket("127.0.0.1", ports[2])
    finally:
        taken.close()


def test_a_name_or_a_bad_port_binds_nothing_and_a_command_line_is_left_to_the_settings(monkeypatch):
    assert early.bind({"FAKENET_BIND": "localhost"}) == []
    assert early.bind({"FAKENET_RPC_PORT": "sixty"}) == []
    called = []
    monkeypatch.setattr(daemon, "main", lambda argv: called.append((argv, dict(early._bound), gc.isenabled())) or 0)
    ports = free_ports(len(early.HTTP_PORTS))
    for name, value in environment(ports).items():
        monkeypatch.setenv(name, value)
    assert early.main(["--rpc-port", "1"]) == 0
    assert called == [(["--rpc-port", "1"], {}, True)]
    assert early.main([]) == 0
    assert sorted(called[1][1]) == sorted(("127.0.0.1", port) for port in ports) and called[1][2]
