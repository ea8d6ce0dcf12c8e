"""S7: the identity key, cookie and every other data dir file are 0600 in a 0700 dir."""

import os
import stat

from fakenet.node import credentials, datadir


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_identity_is_written_0600_under_a_permissive_umask(tmp_path):
    old = os.umask(0o022)
    try:
        datadir.load_or_create_identity(tmp_path)
    finally:
        os.umask(old)
    assert mode(tmp_path / "config") == 0o600


def test_an_existing_cookie_is_rewritten_0600(tmp_path):
    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:old")
    cookie.chmod(0o644)
    user, password = credentials.write_cookie(tmp_path)
    assert mode(cookie) == 0o600 and cookie.read_text() == f"{user}:{password}"


def test_the_data_dir_and_what_an_older_node_left_in_it_are_made_private(tmp_path):
    root = tmp_path / "data"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    for name in ("config", "swarm.key", "chain.sqlite", "state.sqlite-wal"):
        (root / name).write_text("x")
        (root / name).chmod(0o644)
    assert sorted(datadir.make_private(root)) == sorted(["data", "config", "swarm.key", "chain.sqlite",
                                                          "state.sqlite-wal"])
    assert mode(root) == 0o700 and all(mode(p) == 0o600 for p in root.iterdir())
    assert datadir.make_private(root) == []


def test_rpc_credentials_come_from_the_conf_file_when_no_flag_or_variable_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv("FAKENET_CONF", raising=False)
    (tmp_path / "fakenet.conf").write_text("# set by the operator\nrpcuser=alice\nrpcpassword=s3cret\n")
    assert credentials.for_server(tmp_path, None, None) == ("alice", "s3cret")
    assert credentials.for_server(tmp_path, "bob", "pw") == ("bob", "pw")
    assert not (tmp_path / ".cookie").exists()
    (tmp_path / "fakenet.conf").unlink()
    assert credentials.for_server(tmp_path, None, None)[0] == credentials.COOKIE_USER
