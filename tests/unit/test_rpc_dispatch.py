"""JSON-RPC envelopes, batches and bitcoin-core's error codes, without a server."""

import asyncio
import json

import pytest

from fakenet.node.cli import _convert, _fail
from fakenet.node.rpc import helptext
from fakenet.node.rpc.dispatch import Registry, handle
from fakenet.node.rpc.errors import RpcFailure

registry = Registry()


@registry.method
async def echo(value, times=1):
    """Repeat value."""
    if times < 0:
        raise RpcFailure(-8, "times must not be negative")
    return [value] * times


def call(body):
    reply = asyncio.run(handle(registry, json.dumps(body).encode() if not isinstance(body, bytes) else body))
    return reply.status, reply.body


def test_legacy_and_v2_envelopes():
    assert call({"method": "echo", "params": ["a", 2], "id": 7}) == (200, {"result": ["a", "a"], "error": None, "id": 7})
    assert call({"jsonrpc": "2.0", "method": "echo", "params": {"value": "b"}, "id": 8}) == \
        (200, {"jsonrpc": "2.0", "id": 8, "result": ["b"]})


@pytest.mark.parametrize("body, code, status", [
    (b"{nope", -32700, 500),
    ({"method": 5, "id": 1}, -32600, 400),
    ({"method": "nope", "id": 1}, -32601, 404),
    ({"method": "echo", "params": ["a", -1], "id": 1}, -8, 500),
    ({"method": "echo", "params": [], "id": 1}, -1, 500),
    ({"method": "echo", "params": "x", "id": 1}, -32600, 400),
])
def test_errors_use_bitcoin_core_codes_and_statuses(body, code, status):
    got_status, reply = call(body)
    assert (reply["error"]["code"], got_status) == (code, status)


def test_v2_errors_answer_200():
    status, reply = call({"jsonrpc": "2.0", "method": "nope", "id": 1})
    assert status == 200 and reply["error"]["code"] == -32601 and "result" not in reply


def test_batches_answer_each_item():
    status, replies = call([{"method": "echo", "params": ["x"], "id": 1}, {"method": "nope", "id": 2}, 3])
    assert status == 200
    assert [r["error"] and r["error"]["code"] for r in replies] == [None, -32601, -32600]


def test_help_lists_and_describes():
    assert registry.help() == '== Test_rpc_dispatch ==\necho "value" ( times )'
    assert "Repeat value." in registry.help("echo")


def test_help_groups_calls_as_bitcoin_cli_prints_them():
    async def getblock(blockhash, verbosity=1): ...
    async def generatetoaddress(nblocks, address, maxtries=1000000): ...
    async def ping(): ...
    getblock.__module__, generatetoaddress.__module__ = "fakenet.node.rpc.blockchain", "fakenet.node.rpc.mining"
    ping.__module__ = "fakenet.node.rpc.peers"
    text = helptext.overview({"getblock": getblock, "generatetoaddress": generatetoaddress, "ping": ping})
    assert text == ('== Blockchain ==\ngetblock "blockhash" ( verbosity )\n\n'
                    '== Generating ==\ngeneratetoaddress "nblocks" "address" ( maxtries )\n\n== Network ==\nping')


@pytest.mark.parametrize("code, status", [(-32601, 89), (-8, 8), (-1, 1), (-256, 1)])
def test_cli_exits_with_bitcoin_clis_status(code, status, capsys):
    assert _fail({"code": code, "message": "Method not found"}) == status
    assert capsys.readouterr().err == f"error code: {code}\nerror message:\nMethod not found\n"


@pytest.mark.parametrize("arg, value", [("3", 3), ("true", True), ('{"a": 1}', {"a": 1}), ("bcrt1qxyz", "bcrt1qxyz"),
                                        ("1" * 64, "1" * 64), ("0" * 63 + "a", "0" * 63 + "a"), ("node2", "node2")])
def test_cli_argument_conversion(arg, value):
    assert _convert(arg) == value


@pytest.mark.parametrize("address, script_hex", [
    ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "76a914243f1394f44554f4ce3fd68649c19adc483ce92488ac"),
    ("2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", "a9144e9f39ca4688ff102128ea4ccda34105324305b087"),
])
def test_regtest_addresses_become_their_output_scripts(address, script_hex):
    from fakenet.node.rpc.addresses import script_for

    assert script_for(address).hex() == script_hex


@pytest.mark.parametrize("address", ["", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "nope"])
def test_other_networks_and_garbage_are_invalid_addresses(address):
    from fakenet.node.rpc.addresses import InvalidAddress, script_for

    with pytest.raises(InvalidAddress):
        script_for(address)


def test_a_method_registered_after_ready_is_waited_for_and_an_unknown_one_still_fails():
    """A process node answers RPC before its stream layer has registered (daemon.py): a call to
    one of that layer's methods in between waits for it instead of failing as unknown."""
    later = Registry()

    async def scenario():
        later.expect_more()
        early = asyncio.ensure_future(handle(later, json.dumps({"method": "late", "id": 1}).encode()))
        unknown = asyncio.ensure_future(handle(later, json.dumps({"method": "never", "id": 2}).encode()))
        await asyncio.sleep(0)  # both are parsed and waiting by now
        assert not early.done() and not unknown.done()

        @later.method
        async def late():
            return "here"

        later.complete()
        return (await early).body, (await unknown).body["error"]["code"]

    body, unknown_code = asyncio.run(scenario())
    assert body == {"result": "here", "error": None, "id": 1}
    assert unknown_code == -32601


def test_a_key_given_twice_counts_the_first_time_as_bitcoin_core_reads_it():
    # Litecoin Core answered {"method":"getblockcount","method":"getbestblockhash"} with the height
    # (./fake fidelity: "a key given twice"); json's default took the last, so "stop" second stopped the node.
    assert call(b'{"method": "echo", "method": "nope", "params": ["a"], "id": 1}') == \
        (200, {"result": ["a"], "error": None, "id": 1})
    assert call(b'{"method": "echo", "params": ["first"], "params": ["second", 2], "id": 2}')[1]["result"] == ["first"]


@pytest.mark.parametrize("typed, meant", [("-getinfoo", "-getinfo"), ("-getinf", "-getinfo"),
                                          ("-helthcheck", "-healthcheck")])
def test_cli_names_the_option_meant_where_one_typed_is_near_its_own(typed, meant, capsys, monkeypatch, tmp_path):
    """`./fake exec node cli -getinfoo` printed the usage alone, saying nothing of the option."""
    from fakenet.node import cli

    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    assert cli.main([typed]) == 1
    assert capsys.readouterr().err == f"Error parsing command line arguments: Invalid parameter {typed} (did you mean {meant}?)\n"


def test_cli_help_is_the_usage_on_stdout_with_status_0_and_bitcoin_clis_other_options_stay_taken(capsys, monkeypatch,
                                                                                                  tmp_path):
    from fakenet.node import cli

    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    assert cli.main(["-h"]) == 0 and capsys.readouterr().out.startswith("`cli`: bitcoin-cli's conventions")
    assert cli.main(["-regtest"]) == 1 and capsys.readouterr().err.startswith("`cli`: bitcoin-cli's conventions")


@pytest.mark.parametrize("method, hinted", [("getinfo", True), ("healthcheck", True), ("getinfox", False)])
def test_cli_says_an_option_given_as_a_method_wants_its_dash(method, hinted, capsys, monkeypatch, tmp_path):
    """`cli getinfo` answered bitcoin-core's "Method not found" alone (and exits as bitcoin-cli does, 89);
    it now also says that `getinfo` is cli's option, `-getinfo`."""
    from fakenet.node import cli

    monkeypatch.setenv("FAKENET_DATADIR", str(tmp_path))
    monkeypatch.setattr(cli.Client, "call", lambda self, body: {"error": {"code": -32601, "message": "Method not found"}})
    assert cli.main([method]) == 89
    err = capsys.readouterr().err
    assert err.startswith("error code: -32601\nerror message:\nMethod not found\n")
    assert (f"`cli -{method}`" in err) is hinted, err
