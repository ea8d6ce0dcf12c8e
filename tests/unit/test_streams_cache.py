"""The in-memory LRU stream cache."""

import pytest

from fakenet.node.streams import ControllerKey, StreamCache, StreamState, apply_genesis, make_genesis

OWNER = ControllerKey.from_seed(bytes(32))


def stream(n: int) -> tuple[StreamState, dict]:
    cid, data = make_genesis(OWNER, {"n": n}, unique=n.to_bytes(12, "big"))
    return apply_genesis(cid, data), {cid: data}


S = [stream(n) for n in range(5)]
ID = [state.stream_id for state, _ in S]


def filled(limit: int, count: int) -> StreamCache:
    cache = StreamCache(limit=limit)
    for state, blocks in S[:count]:
        cache.put(state, blocks)
    return cache


def test_put_beyond_the_limit_evicts_the_least_recently_used():
    cache = filled(3, 3)
    assert cache.put(*S[3]) == [ID[0]]
    assert cache.lru_order() == [ID[1], ID[2], ID[3]]
    assert len(cache) == 3 and cache.limit == 3 and ID[0] not in cache


def test_get_touches_and_peek_does_not():
    cache = filled(3, 3)
    assert cache.get(ID[0]).state == S[0][0]
    assert cache.peek(ID[1]).blocks == S[1][1]
    assert cache.lru_order() == [ID[1], ID[2], ID[0]]
    assert cache.put(*S[3]) == [ID[1]]


def test_putting_a_cached_stream_again_replaces_and_touches_it():
    cache = filled(3, 3)
    assert cache.put(*S[0]) == []
    assert cache.lru_order() == [ID[1], ID[2], ID[0]]


def test_a_miss_is_none():
    assert StreamCache().get(ID[0]) is None and StreamCache().peek(ID[0]) is None


def test_evict_by_count_by_ids_and_everything():
    cache = filled(5, 5)
    assert cache.evict(count=2) == [ID[0], ID[1]]
    assert cache.evict(ids=[ID[3], ID[0]]) == [ID[3]]  # ID[0] is already gone
    assert cache.evict() == [ID[2], ID[4]]
    assert len(cache) == 0


def test_evict_refuses_a_count_and_ids_together():
    with pytest.raises(ValueError):
        filled(3, 1).evict(count=1, ids=[ID[0]])


def test_the_cache_keeps_its_own_copy_of_the_block_map():
    state, blocks = stream(9)
    cache = StreamCache()
    cache.put(state, blocks)
    blocks.clear()
    assert cache.peek(state.stream_id).blocks
