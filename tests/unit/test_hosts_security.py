"""The hosts backend's exposure, without an engine: what a remote engine publishes beyond its
loopback, when the overlay is encrypted, and that a tcp:// engine needs TLS or an explicit flag."""

from types import SimpleNamespace

import docker.tls
import pytest

from fakenet import host_registry as hosts
from fakenet.errors import ConfigError
from fakenet.harness.backends.hosts import HostsBackend, encrypt_overlay, encryption_mode
from fakenet.kinds.fakenet_kind import FakenetKind


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_HOSTS_FILE", str(tmp_path / "hosts.json"))
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tmp_path / "certs"))
    monkeypatch.delenv(hosts.INSECURE_TCP_ENV, raising=False)
    return tmp_path


def backend(monkeypatch) -> HostsBackend:
    monkeypatch.setattr(hosts, "client", lambda url, timeout=120: SimpleNamespace(url=url, ping=bool, close=bool))
    monkeypatch.setattr(HostsBackend.__mro__[1], "__init__", lambda self, kind, **kw: setattr(self, "kind", kind))
    made = HostsBackend(FakenetKind(), hosts={"a": "local", "b": "ssh://root@localhost", "c": "ssh://u@c"})
    made.placed = {"node": "a", "node2": "b", "node3": "c"}
    return made


def test_unauthenticated_ports_never_leave_an_engine_s_loopback(monkeypatch):
    """Issue 24: remote hosts published 7007 and 5011 (no auth) on 0.0.0.0."""
    made = backend(monkeypatch)
    binds = {(node, role): made.bind_address(SimpleNamespace(name=node), role)
             for node in made.placed for role in FakenetKind.published}
    beyond_loopback = {key for key, address in binds.items() if address != "127.0.0.1"}
    assert beyond_loopback == {("node3", "rpc"), ("node3", "cluster")}
    assert set(FakenetKind.authenticated) <= set(FakenetKind.published)


def test_the_overlay_is_encrypted_only_where_every_engine_can():
    able = {"a": True, "b": True, "c": False}
    assert encrypt_overlay("auto", able.get, ["a", "b"]) == (True, [])
    assert encrypt_overlay("auto", able.get, ["a", "c"]) == (False, ["c"])
    assert encrypt_overlay("on", able.get, ["a", "c"]) == (True, [])
    assert encrypt_overlay("off", able.get, ["a", "b"]) == (False, [])


def test_the_esp_probe_runs_once_per_engine_and_an_engine_error_is_asked_again(monkeypatch):
    """Issue 28: hosts "a" and "b" are one engine (a second client over ssh); each probe is a container."""
    import docker.errors
    from fakenet.harness.backends import hosts as backend_module

    made = backend(monkeypatch)
    monkeypatch.setattr(backend_module, "_esp_by_engine", {})
    probes, answers = [], {"E1": None, "E2": docker.errors.APIError("busy")}

    def client(engine):
        return SimpleNamespace(engine=engine, info=lambda: {"ID": engine, "KernelVersion": "6.1"})

    def run_once(probed, *_args, **_kwargs):  # container_once.run_once: the probe container, made and removed
        probes.append(probed.engine)
        if answers[probed.engine] is not None:
            raise answers[probed.engine]
        return b""

    monkeypatch.setattr(backend_module, "run_once", run_once)
    made.image, made.labels = "node-image", {}
    made.clients = {"a": client("E1"), "b": client("E1"), "c": client("E2")}
    assert [made._supports_esp(host) for host in ("a", "b", "c", "c")] == [True, True, False, False]
    assert probes == ["E1", "E2", "E2"]
    answers["E2"] = docker.errors.ContainerError("probe", 2, "ip xfrm", "node-image", "RTNETLINK answers")
    assert [made._supports_esp("c"), made._supports_esp("c")] == [False, False]
    assert probes == ["E1", "E2", "E2", "E2"]


def test_an_unknown_encryption_mode_is_a_clear_error():
    assert encryption_mode(None) == "auto"
    with pytest.raises(ConfigError, match="auto, on, off"):
        encryption_mode("yes")


def test_a_tcp_engine_without_tls_is_refused_with_what_to_do():
    with pytest.raises(ConfigError, match="needs TLS.*ca.pem.*ssh://.*FAKENET_INSECURE_TCP=1"):
        hosts.add("tcp://10.1.2.3:2375")
    assert "h1" not in hosts.load()


def test_a_tcp_engine_is_accepted_with_an_explicit_insecure_flag(monkeypatch):
    monkeypatch.setenv(hosts.INSECURE_TCP_ENV, "1")
    assert hosts.tls_for("tcp://10.1.2.3:2375") is False
    assert hosts.add("tcp://10.1.2.3:2375") == "h1"


def test_a_tcp_engine_uses_the_docker_client_certificates_and_verifies_the_engine(isolated):
    certs = isolated / "certs"
    certs.mkdir()
    for name in hosts.TLS_FILES:
        (certs / name).write_text("placeholder")
    tls = hosts.tls_for("tcp://10.1.2.3:2376")
    assert isinstance(tls, docker.tls.TLSConfig) and tls.verify is True and tls.ca_cert == str(certs / "ca.pem")
    assert tls.cert == (str(certs / "cert.pem"), str(certs / "key.pem"))


def test_ssh_and_unix_engines_need_no_tls():
    assert hosts.tls_for("ssh://root@h2") is False
    assert hosts.tls_for("unix:///var/run/docker.sock") is False
