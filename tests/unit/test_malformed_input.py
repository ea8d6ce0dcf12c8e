"""Issue 14 F1–F4, F6, F7 and S6: every malformed input gets a protocol-correct error, in-process."""

import asyncio
import json
import logging
import struct
from types import SimpleNamespace

import pytest

from fakenet.node import framing, logs, multiaddr
from fakenet.node.handshake import HandshakeError, Hello, LocalEnd, authenticate
from fakenet.node.identity import Identity
from fakenet.node.rpc import network
from fakenet.node.rpc.dispatch import MAX_BATCH, Registry, handle
from fakenet.node.rpc.server import _encode
from fakenet.node.streams import CommitRejected, ControllerKey, make_genesis

registry = Registry()


@registry.method
async def echo(value=None):
    return value


def call(body: bytes):
    reply = asyncio.run(handle(registry, body))
    return reply.status, json.loads(_encode(reply.body))  # strict: what the server would send


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
                                  b"[" * 150 + b"]" * 150])
def test_deeply_nested_json_is_a_parse_error_in_json(body):
    """F1: was a plain-text 500 from a RecursionError."""
    status, reply = call(body)
    assert status == 500 and reply["error"]["code"] == -32700 and reply["id"] is None


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"1" * 5000])
def test_non_json_numbers_are_parse_errors_and_never_echoed(token):
    """F2: an id of NaN was echoed back as NaN, which no JSON parser reads."""
    status, reply = call(b'{"method":"echo","params":[],"id":' + token + b"}")
    assert reply["error"]["code"] == -32700 and reply["id"] is None
    status, reply = call(b'{"jsonrpc":"2.0","method":"echo","params":[' + token + b'],"id":1}')
    assert reply["error"]["code"] == -32700


def test_a_result_that_is_not_json_becomes_an_error_reply():
    assert json.loads(_encode({"result": float("nan"), "error": None, "id": 1}))["error"]["code"] == -1
    assert json.loads(_encode({"result": object(), "error": None, "id": 1}))["error"]["code"] == -1


def test_a_decimal_result_is_written_as_a_number():
    """The server imports decimal only when json meets a value it cannot write (server._json_default)."""
    from decimal import Decimal

    assert json.loads(_encode({"result": Decimal("0.25"), "error": None, "id": 1}))["result"] == 0.25


def test_batches_are_bounded_and_yield_between_requests():
    """F4: a batch ran start to end without letting the swarm's pingers run."""
    ticks = []

    async def batch():
        async def ticker():
            while True:
                ticks.append(1)
                await asyncio.sleep(0)
        task = asyncio.create_task(ticker())
        body = json.dumps([{"method": "echo", "params": [i], "id": i} for i in range(50)]).encode()
        reply = await handle(registry, body)
        task.cancel()
        return reply

    assert len(asyncio.run(batch()).body) == 50 and len(ticks) >= 49
    status, reply = call(json.dumps([{"method": "echo", "id": 1}] * (MAX_BATCH + 1)).encode())
    assert status == 400 and reply["error"]["code"] == -32600


def setlinkfilter():
    swarm = SimpleNamespace(blocked=set(), set_link_filter=lambda blocked, shapes: setattr(swarm, "blocked", blocked))
    node = SimpleNamespace(swarm=swarm)
    methods = Registry()
    network.register(methods, node)
    return methods


@pytest.mark.parametrize("params", [
    [[], None, {"n2": 1e999}], [[], None, {"n2": -1}], [[], None, {"n2": 10**12}], [[], {"n2": 1.5}],
    [[], {"n2": -0.1}], [[], {"n2": "0.5"}], [[], {"n2": True}], [[], None, {"n2": None}], ["n2"], [[1]],
    [[], [1]], [[], None, "x"],
])
def test_link_filter_parameters_out_of_range_are_invalid_parameter(params):
    """S6: delay=Infinity was accepted and hung the node's writes."""
    body = json.dumps({"method": "setlinkfilter", "params": params, "id": 1}).encode()
    reply = asyncio.run(handle(setlinkfilter(), body))
    assert reply.body["error"]["code"] in (-8, -32700), reply.body


def test_link_filter_in_range_is_accepted():
    body = json.dumps({"method": "setlinkfilter", "params": [["n3"], {"n2": 0.5}, {"n2": 250}], "id": 1}).encode()
    assert asyncio.run(handle(setlinkfilter(), body)).body["result"] == {"blocked": ["n3"], "shaped": ["n2"], "seeded": []}


def test_link_filter_takes_every_peer_of_a_large_network_and_refuses_more():
    """Isolating one node of 1,002 blocks 1,001 peers (the limit was 1,000); the bound stays."""
    many = [f"node{i}" for i in range(network.MAX_FILTER_PEERS)]
    body = json.dumps({"method": "setlinkfilter", "params": [many], "id": 1}).encode()
    assert len(asyncio.run(handle(setlinkfilter(), body)).body["result"]["blocked"]) == network.MAX_FILTER_PEERS
    body = json.dumps({"method": "setlinkfilter", "params": [many + ["one more"]], "id": 1}).encode()
    assert asyncio.run(handle(setlinkfilter(), body)).body["error"]["code"] == -8


@pytest.mark.parametrize("address", [5, ["x"], {"a": 1}, None])
def test_wrong_parameter_types_are_invalid_parameter_not_internal_errors(address):
    """F3: a non-string address was an AttributeError inside multiaddr.parse: an internal error."""
    for method in ("addnode", "acceptpeeridentity"):
        body = json.dumps({"method": method, "params": [address, "add"], "id": 1}).encode()
        error = asyncio.run(handle(setlinkfilter(), body)).body["error"]
        assert error["code"] == -8, error


@pytest.mark.parametrize("address, wanted", [
    ("/dns4/" + "a" * 300 + "/tcp/1", "is not a DNS name"),  # once an unretrieved UnicodeError after `null`
    ("/dns4/" + "a" * 64 + ".example/tcp/1", "is not a DNS name"),  # a label over 63
    ("/dns4/a..b/tcp/1", "is not a DNS name"), ("/dns4/h\u00e9llo/tcp/1", "is not a DNS name"),
    ("/ip4/999.0.0.1/tcp/1", "is not an IPv4 address"), ("/ip4/node2/tcp/1", "is not an IPv4 address"),
    ("/ip6/zz/tcp/1", "is not an IPv6 address")])
def test_a_host_no_resolver_takes_is_an_invalid_parameter_before_any_dial(address, wanted):
    for command in ("onetry", "add"):
        body = json.dumps({"method": "addnode", "params": [address, command], "id": 1}).encode()
        error = asyncio.run(handle(setlinkfilter(), body)).body["error"]
        assert error["code"] == -8 and wanted in error["message"], error


@pytest.mark.parametrize("address", ["/dns4/node/tcp/4011", "/dns4/proj_node_1/tcp/4011", "/dns/a-b.example.com./tcp/1",
                                     "/ip4/10.0.0.3/tcp/4011", "/ip6/::1/tcp/4011", "/ip6/fe80::1/tcp/1"])
def test_the_hosts_peer_lists_use_still_parse(address):
    assert str(multiaddr.parse(address)) == address


def test_content_dag_cbor_cannot_hold_is_a_rejected_commit():
    """F3: integers beyond 64 bits were a CBOREncodingError inside the node."""
    with pytest.raises(CommitRejected, match="dag-cbor"):
        make_genesis(ControllerKey.from_seed(bytes(32)), {"n": -(2**70)})


# -- the swarm: frames and handshakes (F6) ------------------------------------------------------

def with_reader(data: bytes, use):
    """Run `use(reader)` on a stream reader that holds `data` and then ends."""
    async def run():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await use(reader)
    return asyncio.run(run())


def test_a_deeply_nested_frame_is_a_frame_error():
    payload = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(framing.FrameError, match="nests"):
        with_reader(struct.pack(">I", len(payload)) + payload, framing.read)


class Sink:
    def write(self, data):
        pass

    async def drain(self):
        pass


@pytest.mark.parametrize("change", [{"peer_id": 5}, {"nonce": ["a"]}, {"network": None}, {"name": "x" * 10_000},
                                    {"height": "1"}, {"height": True}, {"psk": 7}, {"announce": ""},
                                    {"eph": 7}, {"eph": "ab"}, {"eph": "zz" * 32}, {"eph": "00" * 32}])
def test_a_hello_with_fields_of_the_wrong_type_is_a_handshake_error(change):
    """F6: a non-string nonce was a TypeError out of the transcript, escaping the accept handler."""
    local = LocalEnd(Identity.generate(), "me", "/ip4/127.0.0.1/tcp/4011", "fakenet", None)
    hello = {"t": "hello", "proto": "fakenet/1", "peer_id": Identity.generate().peer_id, "name": "peer",
             "announce": "/ip4/127.0.0.2/tcp/4011", "network": "fakenet", "nonce": "00" * 16, "psk": None,
             "height": 0, "eph": "09" + "00" * 31, **change}
    with pytest.raises(HandshakeError):
        with_reader(framing.encode(hello), lambda reader: authenticate(reader, Sink(), local, dialer=False, height=0))


def test_hello_from_message_keeps_a_good_hello():
    fields = dict(peer_id="p", name="n", announce="/ip4/1.2.3.4/tcp/1", network="fakenet", nonce="ab", psk=None,
                  height=3, eph="ab" * 32)
    assert Hello.from_message(fields) == Hello(**fields)


# -- logs (F7) ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["evil\u2028ts=forged level=error", "evil\u2029x", "a\nb", "a\rb", "a\x85b",
                                  "a\x1b[31mred", "a\u202eb", "a\x00b", 'q"uote\\'])
def test_log_fields_cannot_forge_or_hide_a_line(name):
    record = logging.LogRecord("fakenet.node", logging.INFO, __file__, 1, "peer_connected", None, None)
    record.fields = {"peer": name}
    line = logs.LogfmtFormatter("n1").format(record)
    assert len(line.splitlines()) == 1 and all(char.isprintable() for char in line), repr(line)
    assert 'peer="' in line
