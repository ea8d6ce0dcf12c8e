"""A peer's query (`sq`) or anchor request (`ar`) for a pinned stream reads the stream's state from
the pin store, not its commits: for a 1,101-commit stream that read was ~5 ms a frame, charged
one work unit (tests/unit/test_frame_costs.py)."""

import asyncio

import pytest

from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache, apply_commit, apply_genesis, make_genesis, make_update

OWNER = ControllerKey.from_seed(bytes(range(32)))


@pytest.fixture
def pinned(tmp_path):
    cid, data = make_genesis(OWNER, {"n": 0})
    state, blocks = apply_genesis(cid, data), {cid: data}
    for n in range(1, 20):
        cid, data = make_update(OWNER, state, {"n": n})
        state, blocks[cid] = apply_commit(state, cid, data), data
    pins = PinStore(tmp_path / "state.sqlite")
    pins.pin(state, blocks)
    yield StreamService(OWNER, StreamCache(10), pins), state
    pins.close()


def test_a_pinned_streams_state_is_found_without_reading_its_commits(pinned, monkeypatch):
    service, state = pinned
    read = []
    original = service.pins._read
    monkeypatch.setattr(service.pins, "_read", lambda sql, *args: read.append(sql) or original(sql, *args))
    assert asyncio.run(service.find_state(state.stream_id)) == state
    assert not [sql for sql in read if "commits" in sql], f"expected the state row alone, observed {read}"


def test_a_stream_neither_cached_nor_pinned_is_not_found(pinned):
    service, state = pinned
    service.pins.unpin(state.stream_id)
    assert asyncio.run(service.find_state(state.stream_id)) is None
