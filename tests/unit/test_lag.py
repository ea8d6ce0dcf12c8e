"""Measured lag (fakenet.node.lag) on a fake clock: what it grants, for how long, and never on a
link whose injected delay the oracle already counts as cut or maybe cut."""

import asyncio
import math
import time

import pytest
from hypothesis import example, given, strategies as st

from fakenet.node import clock, lag
from fakenet.node.connection import Connection, LinkShape
from fakenet.node.handshake import Hello
from fakenet.node.lag import EXTRA_CAP, WINDOW, LagMeter, StallClock, grace, read_stamp
from fakenet.node.secure_channel import SecureChannel
from fakenet.node.swarm import SwarmSettings
from support.swarm_pair import address, pair, until


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Unwritten:
    """A writer end nothing reaches here: frames stay in the connection's outbox."""

    def close(self):
        pass


def test_the_peak_is_the_largest_lag_of_the_window_and_then_ages_out():
    now = FakeClock()
    meter = LagMeter(window=10.0, now=now)
    assert meter.peak() == 0.0
    meter.record(2.0)
    now.now = 3.0
    meter.record(0.5)
    assert meter.peak() == 2.0, "a smaller later lag does not hide the larger one"
    now.now = 10.5
    assert meter.peak() == 0.5, "the 2 s lag left the window; the 0.5 s one has not"
    now.now = 14.0
    assert meter.peak() == 0.0


def test_a_timer_that_fired_late_records_its_lateness_and_nonsense_is_ignored():
    now = FakeClock()
    meter = LagMeter(now=now)
    now.now = 5.75
    meter.late_by(5.0)
    meter.record(float("nan"))
    meter.record(-3.0)  # a timer early by the clock's rounding: no lag
    meter.record(math.inf)
    assert meter.peak() == 0.75


def test_the_meter_keeps_a_bounded_number_of_samples():
    now = FakeClock()
    meter = LagMeter(now=now)
    for i in range(10 * lag.MAX_SAMPLES):
        now.now = i * 0.001
        meter.record(10.0 - i * 0.0001)  # strictly decreasing: every sample would be kept
    assert len(meter._samples) <= lag.MAX_SAMPLES


@pytest.mark.parametrize("injected, measured, granted", [
    (0.0, 2.5, 2.5),  # an honest link on a busy machine: waited for
    (1.49, 2.5, 2.5),  # injected round trip under T/2: the model says never cut
    (1.5, 2.5, 0.0),  # T/2: the model says "either"; no extension, so an injected delay decides
    (3.0, 2.5, 0.0),  # T: the model says cut, and it is, exactly as without load
    (0.0, 100.0, EXTRA_CAP * 3.0),  # a starved or lying peer earns at most EXTRA_CAP x T
])
def test_grace_extends_only_links_the_model_never_cuts_and_is_capped(injected, measured, granted):
    assert grace(3.0, injected, 0.1, measured) == granted


@pytest.mark.parametrize("injected, stalled, measured, granted", [
    (0.0, 2.0, 0.5, 2.5),  # a stall since the search last heard adds to the lag measured before
    (1.49, 2.0, 0.0, 2.0),  # under T/2: never cut, so a stall is waited out
    (1.5, 2.0, 0.5, 0.0),  # T/2 or more: an injected delay decides, stalled or not
    (0.0, 100.0, 0.0, EXTRA_CAP * 3.0),  # a link stalled for good: at most EXTRA_CAP x T
])
def test_a_stall_is_granted_on_top_of_the_lag_within_the_same_bounds(injected, stalled, measured, granted):
    assert grace(3.0, injected, measured, stalled=stalled) == granted


def test_the_stall_clock_moves_only_through_gaps_well_past_the_keepalive_and_counts_them_whole():
    now = FakeClock()
    stall = StallClock(expected=1.0, now=now)
    for _ in range(5):  # an idle honest peer: a frame every keepalive interval, its timers a bit late
        now.now += 1.2
        stall.heard()
    assert stall.reading() == 0.0
    now.now += 1.4
    assert stall.reading() == 0.0, "within STALL keepalive intervals: not a stall"
    now.now += 1.1
    assert stall.reading() == 2.5, "2.5 s without a frame: a stall, counted from the last frame, as it lasts"
    stall.heard()
    now.now += 0.5
    assert stall.reading() == 2.5, "the stall ended with the frame, and still counts"
    now.now += 2.0
    assert stall.reading() == 5.0


def test_a_peer_stamp_must_be_a_sane_number():
    assert read_stamp({"d": 0.25}) == 0.25
    for junk in ({}, {"d": "1"}, {"d": -1}, {"d": True}, {"d": float("nan")}, {"d": 1e9}, {"d": None}):
        assert read_stamp(junk) == 0.0


def test_a_round_trip_counts_as_lag_only_beyond_what_both_link_filters_injected():
    now = FakeClock()
    clock.install(now, now)
    try:
        async def exchange():  # the connection is made inside the loop, as the swarm makes it
            hello = Hello("12D3KooWpeer", "peer", "/ip4/127.0.0.1/tcp/4011", "net", "00", None, 0)
            conn = Connection(asyncio.StreamReader(), Unwritten(), hello, inbound=False, dial_addr=None,
                              local_peer_id="12D3KooWme", channel=SecureChannel.pair()[1])
            conn.lag = LagMeter(now=now)
            conn.set_shape(LinkShape(delay=0.2), conn._lottery)
            await conn.ping()
            first = next(iter(conn._pings))
            await conn.ping()  # a second ping in flight: its pong must not be matched to the first
            now.now = 1.0
            conn._answer_ping({"t": "pong", "n": first, "d": 0.3})
            conn._answer_ping({"t": "pong", "n": 999, "d": 0.3})  # answers no ping of ours
            return conn

        conn = asyncio.run(exchange())
        assert conn.pingtime == 1.0
        assert conn.injected_round_trip() == pytest.approx(0.5)
        assert conn.lag.peak() == pytest.approx(0.5), "1 s round trip - 0.2 s ours - 0.3 s the peer's"
        assert now.now < WINDOW
    finally:
        clock.reset()


@pytest.mark.parametrize("injected, granted", [
    (0.0, 2.5),  # steady: a starved peer is kept
    (1.99, 2.5),  # d + K < P: the model keeps the link, so may the node
    (2.0, 0.0),  # d + K = P: the model says it may flap; no extension
    (3.0, 0.0),  # d >= P: the model says dead, and it closes as without load
])
def test_the_peer_timeout_stretches_only_on_links_the_model_keeps(injected, granted):
    assert lag.peer_grace(3.0, injected, 1.0, 2.5) == granted
    assert lag.peer_grace(3.0, 0.0, 1.0, 100.0) == EXTRA_CAP * 3.0


def test_a_peer_keeps_its_meter_across_reconnects_and_the_table_is_bounded():
    meters = lag.LagMeters(limit=2)
    first = meters.of("a")
    assert meters.of("a") is first
    meters.of("b"), meters.of("c")
    assert meters.of("a") is not first, "the least recently seen peer was forgotten"


def test_a_connection_runs_its_stall_clock_only_while_it_hears_nothing(tmp_path):
    """Two swarms on loopback, keepalive every 0.2 s: the event loop they share is blocked for 1 s
    (a stall as a paused process sees it), which the clock counts whole; then frames flow again
    and it stops (it would grow with the time if the reader did not feed it)."""
    async def scenario():
        async with pair(tmp_path, SwarmSettings(ping_interval=0.2, peer_timeout=30.0)) as (a, b):
            conn = await a.dial_once(address(b))
            await until(lambda: conn.pingtime is not None, "a first round trip")
            before = conn.stall.reading()
            time.sleep(1.0)  # the stall this test applies (the whole loop stops), not a wait for a condition
            stalled = conn.stall.reading() - before
            pings = conn.bytesrecv
            await until(lambda: conn.bytesrecv > pings, "a frame after the stall")
            after = conn.stall.reading()
            loop = asyncio.get_running_loop()
            end = loop.time() + 1.0
            await until(lambda: loop.time() >= end, "a second of frames")
            return stalled, after, conn.stall.reading()

    stalled, after, later = asyncio.run(scenario())
    assert stalled >= 1.0, f"a 1 s stall read as {stalled:.2f} s"
    assert later - after < 1.0, f"the clock ran {later - after:.2f} s of the second the link was talking"


@given(kind=st.sampled_from([b"ping", b"pong"]),
       number=st.one_of(st.integers(), st.booleans(), st.none(), st.floats(), st.text(max_size=5)),
       stamp=st.one_of(st.floats(), st.integers(0, 4000), st.booleans()))
@example(b"pong", 1, math.inf)
@example(b"ping", 2, math.nan)
@example(b"ping", 3, -0.0)
@example(b"pong", True, 0.0)
def test_a_keepalive_is_the_payload_the_json_encoder_writes_whatever_its_number_and_stamp(kind, number, stamp):
    """Pings and pongs are formatted directly when they hold what honest peers send; the same bytes.
    NaN and the infinities are not JSON: neither way writes them (fakenet/node/strict_json.py)."""
    from fakenet.node import framing
    from fakenet.node.connection import keepalive_payload

    message = {"t": kind.decode(), "n": number, "d": stamp}
    if any(isinstance(value, float) and not math.isfinite(value) for value in (number, stamp)):
        with pytest.raises(ValueError, match="not JSON compliant"):
            framing.payload(message)
        with pytest.raises(ValueError, match="not JSON compliant"):
            keepalive_payload(kind, number, stamp)
        return
    assert keepalive_payload(kind, number, stamp) == framing.payload(message)
