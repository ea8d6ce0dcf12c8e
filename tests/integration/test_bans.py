"""setban / listbanned / clearbanned on real node processes: a banned peer's connection goes, each
redial of it is dropped, and lifting the ban lets it back."""

import pytest

from fakenet.errors import RpcError
from support import local_nodes as local
from fakenet.harness.waits import wait_for


def connections(node) -> int:
    return node.rpc.call("getconnectioncount")


def dropped_as_banned(node) -> int:
    return sum("peer_disconnected" in line and "reason=banned" in line for line in node.logs(10_000))


def test_a_banned_peer_is_dropped_on_every_redial_until_the_ban_is_lifted(tmp_path, start_nodes):
    first, _ = start_nodes(local.full_mesh(tmp_path, 2))
    # Bans match the socket's address, as Core's do (never what a peer claims): local node processes
    # dial from 127.0.0.1, not from their own 127.A.B.x, so the ban covers loopback.
    assert first.rpc.call("setban", "127.0.0.0/8", "add") is None
    (ban,) = first.rpc.call("listbanned")
    assert ban["address"] == "127.0.0.0/8" and ban["banned_until"] - ban["ban_created"] == 24 * 3600
    # node2's dialler comes back every few seconds: the ban must drop it again each time.
    wait_for(lambda: dropped_as_banned(first), lambda n: n >= 2, timeout=40,
             expected="node2 dropped as banned, and again after it redialled", logs=lambda: first.logs())
    assert first.rpc.call("clearbanned") is None and first.rpc.call("listbanned") == []
    wait_for(lambda: connections(first), lambda n: n == 1, timeout=30, expected="node2 back after the ban is lifted",
             logs=lambda: first.logs())


@pytest.mark.parametrize("args, code, message", [
    (("10.1.0.0/16", "add"), -23, "Error: IP/Subnet already banned"),
    (("10.9.9.9", "remove"), -30, "Error: Unban failed. Requested address/subnet was not previously manually banned."),
    (("not-an-ip", "add"), -30, "Error: Invalid IP/Subnet")])
def test_ban_errors_are_cores(tmp_path, start_nodes, args, code, message):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    node.rpc.call("setban", "10.1.0.0/16", "add")
    with pytest.raises(RpcError) as caught:
        node.rpc.call("setban", *args)
    assert (caught.value.code, caught.value.rpc_message) == (code, message)
