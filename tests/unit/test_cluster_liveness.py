"""The failure detector on an injected clock: live within the TTL, down after it, stale beats ignored."""

from fakenet.node.cluster.liveness import Beat, FailureDetector
from fakenet.node.cluster.report import Report


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def beat(peer: str, seq: int, boot: int = 1) -> Beat:
    return Beat(peer, f"name-{peer}", "/ip4/127.0.0.1/tcp/4011", boot, seq, 0.0, "d", Report())


def test_a_peer_is_live_up_to_the_ttl_and_down_after_it():
    clock = Clock()
    detector = FailureDetector(5.0, clock)
    detector.beat(beat("a", 1))
    clock.now += 5.0
    assert detector.live() == ["a"] and detector.down() == []
    clock.now += 0.01
    assert detector.live() == [] and detector.down() == ["a"]
    assert round(detector.silence("a"), 2) == 5.01


def test_a_new_heartbeat_brings_a_down_peer_back():
    clock = Clock()
    detector = FailureDetector(2.0, clock)
    detector.beat(beat("a", 1))
    clock.now += 10
    assert detector.beat(beat("a", 2))
    assert detector.is_live("a")


def test_an_older_heartbeat_arriving_late_is_ignored():
    clock = Clock()
    detector = FailureDetector(2.0, clock)
    detector.beat(beat("a", 5))
    clock.now += 1.5
    assert detector.beat(beat("a", 4)) is False
    clock.now += 1.0
    assert not detector.is_live("a"), "the stale beat must not have refreshed the peer"
    assert detector.last("a").seq == 5


def test_a_restarted_peer_is_heard_although_its_sequence_starts_again():
    detector = FailureDetector(2.0, Clock())
    detector.beat(beat("a", 900, boot=1))
    assert detector.beat(beat("a", 1, boot=2))
    assert detector.last("a").boot == 2


def test_a_peer_never_heard_is_neither_live_nor_listed():
    detector = FailureDetector(2.0, Clock())
    assert detector.silence("x") == float("inf")
    assert (detector.is_live("x"), detector.known()) == (False, [])
