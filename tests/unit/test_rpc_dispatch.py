"""JSON-RPC envelopes, batches and bitcoin-core's error codes, without a server."""

import asyncio
import json

import pytest

from fakenet.node.cli import _convert
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
    assert registry.help() == "echo"
    assert "Repeat value." in registry.help("echo")


@pytest.mark.parametrize("arg, value", [("3", 3), ("true", True), ('{"a": 1}', {"a": 1}), ("bcrt1qxyz", "bcrt1qxyz"),
                                        ("1" * 64, "1" * 64), ("0" * 63 + "a", "0" * 63 + "a"), ("node2", "node2")])
def test_cli_argument_conversion(arg, value):
    assert _convert(arg) == value
