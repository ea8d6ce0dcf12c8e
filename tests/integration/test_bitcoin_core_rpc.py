"""bitcoin-core-rpc (btclib's client, from PyPI, unchanged) against node processes: a strict client
nobody here wrote. It speaks JSON-RPC 2.0, matches replies by id, decodes amounts as Decimal,
sends named parameters, batches, and reads the cookie file as it would bitcoind's."""

from decimal import Decimal

import pytest
from bitcoin_core_rpc import BitcoinCoreRpcClient
from bitcoin_core_rpc.errors import BtcRpcValueError, FetchError, HttpError, RpcError

from support import local_nodes as local
from fakenet.harness.waits import wait_for

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # BIP173 regtest test vector
RPC_INVALID_ADDRESS_OR_KEY, RPC_METHOD_NOT_FOUND = -5, -32601


def _client(node, **auth) -> BitcoinCoreRpcClient:
    return BitcoinCoreRpcClient(node.url("rpc"), **auth)


def test_positional_named_and_batched_calls(tmp_path, start_nodes):
    a, b = start_nodes(local.full_mesh(tmp_path, 2))
    user, password = a.credentials
    client = _client(a, user=user, password=password)
    client.assert_chain("regtest")
    with pytest.raises(BtcRpcValueError):
        client.assert_chain("main")

    hashes = client.call("generatetoaddress", [3, ADDRESS])
    assert client.call("getblockcount") == 3
    assert client.call("getbestblockhash") == hashes[-1]
    named = client.call("getblock", {"blockhash": hashes[-1], "verbosity": 2})
    positional = client.call("getblock", [hashes[-1], 2])
    assert named == positional and named["height"] == 3
    assert isinstance(client.call("getblockchaininfo")["difficulty"], Decimal)

    count, best, missing = client.call_batch([("getblockcount", None), ("getbestblockhash", []),
                                              ("getblock", ["00" * 32])])
    assert (count, best) == (3, hashes[-1])
    assert isinstance(missing, RpcError) and missing.code == RPC_INVALID_ADDRESS_OR_KEY

    with pytest.raises(RpcError) as unknown:
        client.call("nosuchmethod")
    assert unknown.value.code == RPC_METHOD_NOT_FOUND
    with pytest.raises(HttpError) as refused:
        _client(a, user=user, password="wrong").call("getblockcount")
    assert refused.value.status == 401

    other = _client(b, user=user, password=password)
    wait_for(lambda: other.call("getbestblockhash"), lambda best: best == hashes[-1], timeout=15,
             expected=f"b's tip is {hashes[-1]}", logs=lambda: a.logs() + b.logs())


def test_cookie_file_as_bitcoind_writes_it(tmp_path):
    # no credentials: the node writes a cookie
    (node,) = local.full_mesh(tmp_path, 1, variables={"RPCUSER": None, "RPCPASSWORD": None})
    cookie = node.datadir / ".cookie"
    client = _client(node, cookie_path=cookie)  # read at each call, as after a bitcoind restart

    def answers(expected: str) -> None:
        wait_for(lambda: client.call("getblockcount"), lambda height: height == 0, timeout=20, expected=expected,
                 logs=node.logs, retry_on=(FetchError,))  # no cookie yet, or a stale one: not serving yet

    node.start()
    try:
        answers("the node answers a cookie-authenticated call")
        assert cookie.stat().st_mode & 0o777 == 0o600
        first = cookie.read_text()
        node.stop()
        node.start()
        answers("the restarted node answers the same client with its new cookie")
        assert cookie.read_text() != first
    finally:
        node.close()
