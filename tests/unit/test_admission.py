"""Admission: a full port evicts the oldest waiting connection, so a flood evicts itself."""

from fakenet.node.admission import Admission, Limits


class Conn:
    def __init__(self, name: str, busy: bool = False):
        self.name, self.busy = name, busy

    def __repr__(self):
        return self.name


def port(max_open=4, per_source=3) -> Admission:
    return Admission(Limits(max_open, per_source), lambda conn: not conn.busy)


def test_the_reserve_keeps_one_source_below_the_port_cap():
    assert Limits.with_reserve(256) == Limits(256, 192)
    assert Limits.with_reserve(64) == Limits(64, 48)
    assert Limits.with_reserve(2).per_source == 1


def test_a_source_at_its_cap_evicts_its_own_oldest_waiting_connection():
    admission, flood = port(), [Conn(f"f{i}") for i in range(3)]
    for conn in flood:
        assert admission.admit(conn, "10.0.0.9").evict is None
    verdict = admission.admit(Conn("f3"), "10.0.0.9")
    assert verdict.admitted and verdict.evict is flood[0]
    assert len(admission) == 3


def test_300_half_open_connections_from_one_address_leave_room_for_the_next_request():
    admission = port(256, 192)
    for i in range(300):
        assert admission.admit(Conn(f"half-open{i}"), "127.0.0.1").admitted
    honest = Conn("honest")
    assert admission.admit(honest, "127.0.0.1").admitted


def test_a_full_port_evicts_from_the_heaviest_source_first():
    admission = port(max_open=4, per_source=3)
    heavy = [Conn(f"h{i}") for i in range(3)]
    for conn in heavy:
        admission.admit(conn, "10.0.0.9")
    light = Conn("light")
    admission.admit(light, "10.0.0.2")
    verdict = admission.admit(Conn("newcomer"), "10.0.0.3")
    assert verdict.evict is heavy[0]


def test_busy_connections_are_never_evicted_and_the_next_source_gives_way():
    admission = port(max_open=4, per_source=3)
    for i in range(3):
        admission.admit(Conn(f"busy{i}", busy=True), "10.0.0.9")
    idle = Conn("idle")
    admission.admit(idle, "10.0.0.2")
    assert admission.admit(Conn("newcomer"), "10.0.0.3").evict is idle


def test_when_everything_is_busy_the_newcomer_is_refused_with_a_reason():
    admission = port(max_open=2, per_source=2)
    for i in range(2):
        admission.admit(Conn(f"busy{i}", busy=True), "10.0.0.9")
    verdict = admission.admit(Conn("newcomer"), "10.0.0.3")
    assert not verdict.admitted and "none of them is waiting" in verdict.reason
    assert len(admission) == 2


def test_a_released_connection_frees_its_slot_and_release_is_idempotent():
    admission = port(max_open=1, per_source=1)
    conn = Conn("a", busy=True)
    admission.admit(conn, "10.0.0.9")
    admission.release(conn)
    admission.release(conn)
    assert admission.admit(Conn("b", busy=True), "10.0.0.9").evict is None
