"""One state directory: FAKENET_STATE_DIR, else the checkout's .cache/, read at each use."""

from pathlib import Path

from fakenet import compose, host_registry as hosts, state


def test_state_lives_in_the_checkouts_cache_by_default(monkeypatch):
    monkeypatch.delenv("FAKENET_STATE_DIR", raising=False)
    monkeypatch.delenv("FAKENET_HOSTS_FILE", raising=False)
    checkout = Path(__file__).resolve().parents[2]
    assert state.state_dir() == checkout / ".cache"
    assert hosts.hosts_file() == checkout / ".cache" / "hosts.json"


def test_every_state_file_follows_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("FAKENET_HOSTS_FILE", raising=False)
    assert hosts.hosts_file() == tmp_path / "hosts.json"
    assert compose.override_path("p").parent == compose.secret_file("p").parent == tmp_path / "compose"
    assert state.state_path("wheelhouse") == tmp_path / "wheelhouse"
