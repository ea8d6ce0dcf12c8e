"""Issue 2 acceptance: identity loss and return, swarm keys, and bad input that must not hurt a node."""

import base64
import json
import shutil
import socket
import struct
import urllib.error
import urllib.request

import pytest

from support import local_nodes as local
from fakenet.harness.rpc import RpcClient
from fakenet.harness.waits import wait_for
from fakenet.node.psk import SwarmKey


def _peer_names(node):
    return {p["name"] for p in node.rpc.getpeerinfo()}


def test_lost_identity_is_refused_until_the_old_key_returns(mesh4):
    victim, others = mesh4[2], [mesh4[0], mesh4[1], mesh4[3]]
    old_peerid = victim.rpc.getnetworkinfo()["peerid"]
    # Trust comes only from a node's own dial (an inbound peer merely claims its address): connected
    # is not enough, each must have dialled the victim before its key goes.
    for node in others:
        wait_for(lambda node=node: node.rpc.listpeeridentities()["trusted"].get(victim.swarm_addr),
                 lambda trusted: trusted == old_peerid, timeout=15,
                 expected=f"{node.name} trusts {old_peerid} at {victim.swarm_addr}", logs=mesh4.logs)
    backup = victim.datadir.parent / "config.backup"
    shutil.copy(victim.datadir / "config", backup)
    victim.stop()
    (victim.datadir / "config").unlink()
    victim.start()
    victim.wait_ready()
    new_peerid = victim.rpc.getnetworkinfo()["peerid"]
    assert new_peerid != old_peerid
    expected = f"peer identity changed for {victim.swarm_addr}: expected {old_peerid}, got {new_peerid}"
    for node in others:
        wait_for(lambda node=node: "\n".join(node.logs(200)), lambda text: expected in text, timeout=15,
                 expected=f"{node.name} logs {expected!r}", logs=mesh4.logs)
        wait_for(lambda node=node: _peer_names(node), lambda names: "node3" not in names, timeout=15,
                 expected=f"{node.name} does not list node3", logs=mesh4.logs)
    assert victim.rpc.getconnectioncount() == 0
    victim.stop()
    shutil.copy(backup, victim.datadir / "config")
    victim.start()
    victim.wait_ready()
    assert victim.rpc.getnetworkinfo()["peerid"] == old_peerid
    mesh4.wait_peers(count=3)


def test_operator_can_accept_a_new_identity(tmp_path, start_nodes):
    a, b = start_nodes(local.full_mesh(tmp_path, 2))
    old_peerid = b.rpc.getnetworkinfo()["peerid"]
    # As above: a trusts b's key only once a itself has dialled b (b may have dialled first).
    wait_for(lambda: a.rpc.listpeeridentities()["trusted"].get(b.swarm_addr), lambda trusted: trusted == old_peerid,
             timeout=15, expected=f"a trusts {old_peerid} at {b.swarm_addr}", logs=lambda: a.logs() + b.logs())
    b.stop()
    (b.datadir / "config").unlink()
    b.start()
    b.wait_ready()
    wait_for(lambda: a.rpc.listpeeridentities()["refused"], lambda refused: b.swarm_addr in refused,
             timeout=15, expected="a refused b's new identity", logs=lambda: a.logs() + b.logs())
    accepted = a.rpc.acceptpeeridentity(b.swarm_addr)
    assert accepted["peerid"] == b.rpc.getnetworkinfo()["peerid"]
    wait_for(a.rpc.getconnectioncount, lambda n: n == 1, timeout=15, expected="a and b connected again",
             logs=lambda: a.logs() + b.logs())


def test_nodes_with_different_swarm_keys_never_connect(tmp_path, start_nodes):
    a, b = local.full_mesh(tmp_path, 2)
    keys = [SwarmKey(bytes([1]) * 32), SwarmKey(bytes([2]) * 32)]
    for node, key in zip((a, b), keys):
        node.datadir.mkdir(parents=True)
        (node.datadir / "swarm.key").write_text(SwarmKey.render(key.key))
    pair = start_nodes([a, b], wait_peers=False)
    wait_for(lambda: "\n".join(a.logs(100)), lambda text: "swarm key mismatch" in text, timeout=15,
             expected="a logs the swarm key mismatch", logs=pair.logs)
    text = "\n".join(a.logs(100) + b.logs(100))
    assert keys[0].fingerprint in text and keys[1].fingerprint in text
    assert keys[0].key.hex() not in text and keys[1].key.hex() not in text, "a swarm key leaked into the log"
    assert a.rpc.getconnectioncount() == 0 and b.rpc.getconnectioncount() == 0


@pytest.fixture(scope="module")
def serving_mesh4(tmp_path_factory, start_shared_nodes):
    """Four meshed nodes for the tests below, which only send bad input and check that the node still
    serves: nothing on the nodes changes (conftest's start_shared_nodes)."""
    return start_shared_nodes(local.full_mesh(tmp_path_factory.mktemp("serving"), 4))


def _raw(node, port, payload: bytes) -> bytes:
    with socket.create_connection((node.ip, port), timeout=5) as sock:
        sock.sendall(payload)
        try:
            return sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return b""


@pytest.mark.parametrize("payload", [
    struct.pack(">I", 2**31) + b"x" * 64,            # oversized frame
    struct.pack(">I", 9) + b"not json!",             # malformed frame
    struct.pack(">I", 2) + b"[]",                    # JSON, but not a message
    b"\x00" * 3,                                     # truncated length
], ids=["oversized", "malformed", "not-a-message", "truncated"])
def test_bad_frames_on_the_swarm_port_leave_the_node_serving(serving_mesh4, payload):
    target = serving_mesh4[0]
    _raw(target, 4011, payload)
    assert target.rpc.getblockcount() == 0
    assert target.rpc.getconnectioncount() == 3


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_garbage_and_bad_json_on_the_rpc_port(serving_mesh4):
    node = serving_mesh4[0]
    answer = _raw(node, 6433, b"\x16\x03\x01garbage that is not http\r\n\r\n")
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    request = urllib.request.Request(f"http://{node.ip}:6433/", data=b"{not json",
                                     headers={"Authorization": _basic(*node.credentials)})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert json.load(caught.value)["error"]["code"] == -32700
    assert node.rpc.getblockcount() == 0


def test_wrong_credentials_get_401(serving_mesh4):
    node = serving_mesh4[0]
    request = urllib.request.Request(f"http://{node.ip}:6433/", data=b'{"method":"getblockcount"}')
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 401
    wrong = RpcClient(node.rpc.url, "fakenet", "wrong")
    with pytest.raises(Exception, match="refused the credentials"):
        wrong.getblockcount()
    assert node.rpc.getblockcount() == 0
