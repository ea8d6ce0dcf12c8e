"""Property-based fuzzing of the node's three parsers of hostile input: frames, the handshake and
JSON-RPC dispatch.

Each property says what the surface may answer, whatever it is sent: the frame decoder a message
or a FrameError, the handshake a verified hello or a HandshakeError, JSON-RPC dispatch a reply
that is strict JSON with a bitcoin-core error code and never an internal error.

Per surface, two tests: hypothesis's own structured strategies (which shrink a failure to a
minimal input), and hypothesis-drawn seeds fed to fakenet.fuzz.inputs, PER_SEED inputs a seed,
which is what gets each surface past 2,000 inputs in a few seconds (a hypothesis draw of a nested
JSON value costs tens of milliseconds on a busy machine; one of ours, microseconds). Runs are
derandomized, so a failure replays; `./fake fuzz` runs the same generators against a live node.
"""

import asyncio
import json
import random
import struct
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings, strategies as st

from fakenet.fuzz import inputs
from fakenet.node import framing
from fakenet.node.handshake import HandshakeError, LocalEnd, authenticate
from fakenet.node.identity import Identity
from fakenet.node.rpc import network
from fakenet.node.rpc.dispatch import Registry, handle
from fakenet.node.rpc.server import _encode

STRUCTURED = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
SEEDED = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
PER_SEED = 20  # 100 seeds x 20 = 2,000 generated inputs per surface, on top of the structured ones
# Plain seeds, not st.randoms(): every call on a hypothesis Random is a draw, a hundred times slower.
seeds = st.integers(0, 2**32 - 1).map(random.Random)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=6)


# One loop for all examples: a new loop per input (asyncio.run) costs more than the input itself.
LOOP = asyncio.new_event_loop()


def with_reader(data: bytes, use):
    async def run():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await use(reader)
    return LOOP.run_until_complete(run())


# -- frames ------------------------------------------------------------------------------------

def framed(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


frames = st.one_of(
    st.binary(max_size=64),
    st.binary(max_size=64).map(framed),
    json_values.map(lambda v: framed(json.dumps(v).encode())),
    st.dictionaries(st.sampled_from(["t", "qid", "x"]), json_values, max_size=3).map(
        lambda v: framed(json.dumps(v).encode())),
    st.sampled_from([10, 999, 1000, 5000]).map(lambda depth: framed(b"[" * depth + b"]" * depth)),
    st.sampled_from([b"NaN", b"-Infinity", b'{"t":"x","n":NaN}', b"\xff\xfe", b'"\\ud800"']).map(framed),
)


def check_frame(data: bytes) -> None:
    try:
        message, size = with_reader(data, framing.read)
    except (framing.FrameError, asyncio.IncompleteReadError):
        return
    assert isinstance(message, dict) and isinstance(message["t"], str) and size <= len(data)


@STRUCTURED
@given(frames)
def test_the_frame_decoder_answers_a_message_or_a_frame_error(data):
    check_frame(data)


@SEEDED
@given(seeds)
def test_the_frame_decoder_on_generated_frames(rng):
    for _ in range(PER_SEED // 2):
        check_frame(inputs.swarm_bytes(rng))
        check_frame(inputs.frame(json.dumps(inputs.swarm_message(rng)).encode()))


# -- the handshake -----------------------------------------------------------------------------

LOCAL = LocalEnd(Identity.generate(), "me", "/ip4/127.0.0.1/tcp/4011", "fakenet", None)
hello_fields = st.fixed_dictionaries(
    {"t": st.just("hello")},
    optional={name: json_values | st.just("fakenet") for name in
              ("peer_id", "name", "announce", "network", "nonce", "psk", "height", "eph", "proto")})


class Sink:
    def write(self, data):
        pass

    async def drain(self):
        pass


def check_handshake(data: bytes) -> None:
    try:
        with_reader(data, lambda reader: authenticate(reader, Sink(), LOCAL, dialer=False, height=0))
    except (HandshakeError, framing.FrameError, asyncio.IncompleteReadError):
        return
    raise AssertionError("a hello without a valid signature was accepted")


@STRUCTURED
@given(hello_fields, st.binary(max_size=40))
def test_the_handshake_refuses_with_a_handshake_error_only(hello, after):
    check_handshake(framing.encode(hello) + after)


@SEEDED
@given(seeds)
def test_the_handshake_on_generated_hellos(rng):
    for _ in range(PER_SEED):
        check_handshake(inputs.swarm_bytes(rng) + inputs.swarm_bytes(rng))


# -- JSON-RPC dispatch -------------------------------------------------------------------------

def registry() -> Registry:
    methods = Registry()

    @methods.method
    async def echo(value=None, times=1):
        if not isinstance(times, int) or not 0 <= times <= 3:
            raise ValueError("times must be 0 to 3")
        return [value] * times

    swarm = SimpleNamespace(blocked=set(), connections={}, peerstore=SimpleNamespace(
        trusted={}, refused={}, accept=lambda addr, peer=None: peer or "p"), peer_addrs=lambda: [],
        set_link_filter=lambda blocked, shapes: None, add_peer=lambda addr: None, remove_peer=lambda addr: False,
        disconnect=lambda peer: False, spawn=lambda coroutine: coroutine.close())
    network.register(methods, SimpleNamespace(swarm=swarm))
    return methods


REGISTRY = registry()
METHODS = ["echo", "setlinkfilter", "addnode", "disconnectnode", "acceptpeeridentity", "nope"]
requests = st.fixed_dictionaries(
    {"method": st.sampled_from(METHODS) | json_values},
    optional={"params": st.lists(json_values, max_size=4) | json_values, "id": json_values,
              "jsonrpc": st.sampled_from(["2.0", "1.0"]) | json_values})
bodies = st.one_of(
    requests.map(json.dumps), st.lists(requests, max_size=5).map(json.dumps), st.binary(max_size=64),
    st.sampled_from([10, 101, 999, 5000]).map(lambda depth: "[" * depth + "]" * depth),
    requests.map(lambda r: json.dumps({**r, "id": 0}).replace("0", "NaN", 1)),
)


@SEEDED
@given(seeds)
def test_dispatch_on_generated_bodies(rng):
    for _ in range(PER_SEED):
        test_dispatch_answers_strict_json_and_never_an_internal_error.hypothesis.inner_test(
            inputs.rpc_body(rng, METHODS))


@STRUCTURED
@given(bodies)
def test_dispatch_answers_strict_json_and_never_an_internal_error(body):
    reply = LOOP.run_until_complete(handle(REGISTRY, body.encode() if isinstance(body, str) else body))
    decoded = json.loads(_encode(reply.body), parse_constant=lambda token: 1 / 0)
    assert reply.status in (200, 400, 404, 500)
    for item in decoded if isinstance(decoded, list) else [decoded]:
        error = item.get("error")
        assert not error or not error["message"].startswith("internal error"), (body, error)
