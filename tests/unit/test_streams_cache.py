"""The in-memory LRU stream cache."""

import pytest

from fakenet.node.streams import ControllerKey, StreamCache, StreamState, apply_genesis, make_genesis
from fakenet.node.streams.cache import entry_bytes

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


# -- bytes -------------------------------------------------------------------------------------

def sized(n: int, chars: int) -> tuple[StreamState, dict]:
    cid, data = make_genesis(OWNER, {"n": n, "pad": "x" * chars}, unique=n.to_bytes(12, "big"))
    return apply_genesis(cid, data), {cid: data}


BIG = [sized(n, 1000) for n in range(6)]
BIG_ID = [state.stream_id for state, _ in BIG]
BIG_SIZE = entry_bytes(BIG[0][1])


def test_an_entry_counts_twice_its_blocks_and_the_total_follows_puts_and_evictions():
    cache = StreamCache(byte_limit=10**9)
    for entry in BIG[:3]:
        cache.put(*entry)
    assert BIG_SIZE == 2 * len(next(iter(BIG[0][1].values()))) > 2000
    assert cache.bytes == sum(entry_bytes(blocks) for _, blocks in BIG[:3])
    cache.put(*BIG[0])  # the same stream again: counted once
    assert cache.bytes == sum(entry_bytes(blocks) for _, blocks in BIG[:3])
    cache.evict(ids=[BIG_ID[1]])
    assert cache.bytes == entry_bytes(BIG[0][1]) + entry_bytes(BIG[2][1])
    cache.evict()
    assert cache.bytes == 0


def test_put_past_the_byte_limit_evicts_the_least_recently_used_until_within_it():
    cache = StreamCache(limit=500, byte_limit=3 * BIG_SIZE + BIG_SIZE // 2)
    for entry in BIG[:3]:
        assert cache.put(*entry) == []
    cache.get(BIG_ID[0])
    assert cache.put(*BIG[3]) == [BIG_ID[1]]
    assert cache.lru_order() == [BIG_ID[2], BIG_ID[0], BIG_ID[3]]
    assert cache.bytes <= cache.byte_limit


def test_an_update_that_grows_an_entry_evicts_others_but_not_it_and_keeps_its_recency():
    cache = StreamCache(byte_limit=4 * BIG_SIZE + BIG_SIZE // 2)  # 3 entries fit; BIG[0] grows by ~2
    for entry in BIG[:3]:
        cache.put(*entry)
    state, blocks = BIG[0]
    grown = {**blocks, **sized(40, 2 * 1000)[1]}  # a commit of twice the size joins its blocks
    assert cache.replace(state, grown) == [BIG_ID[1]]  # BIG[0] is the oldest, but it is the one updated
    assert cache.lru_order() == [BIG_ID[0], BIG_ID[2]]
    assert cache.bytes == entry_bytes(grown) + BIG_SIZE <= cache.byte_limit
    assert cache.replace(*BIG[5]) is None  # not cached: nothing stored, nothing evicted
    assert BIG_ID[5] not in cache


def test_a_stream_alone_over_the_byte_limit_is_kept_and_everything_else_goes():
    cache = StreamCache(byte_limit=3 * BIG_SIZE)
    for entry in BIG[:3]:
        cache.put(*entry)
    huge = sized(50, 5000)
    assert cache.put(*huge) == BIG_ID[:3]
    assert cache.lru_order() == [huge[0].stream_id] and cache.bytes > cache.byte_limit
    assert cache.put(*BIG[3]) == [huge[0].stream_id]  # the next store lets it go
    assert cache.bytes == BIG_SIZE


def test_the_count_limit_still_holds_when_bytes_are_plenty():
    cache = StreamCache(limit=2, byte_limit=10**9)
    for entry in BIG[:4]:
        cache.put(*entry)
    assert cache.lru_order() == BIG_ID[2:4] and cache.bytes == 2 * BIG_SIZE


def test_a_byte_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="byte limit"):
        StreamCache(byte_limit=0)


def test_pinned_streams_the_byte_limit_evicts_are_still_held_from_the_pin_store(tmp_path):
    from fakenet.node.stream_service import StreamService
    from fakenet.node.streams import PinStore

    pins = PinStore(tmp_path / "state.sqlite")
    service = StreamService(OWNER, StreamCache(byte_limit=2 * BIG_SIZE), pins)
    try:
        for state, blocks in BIG:
            pins.pin(state, blocks)
            service._cache(state, blocks)  # as a load of a pinned stream caches it
        assert service.cache.lru_order() == BIG_ID[-2:] and service.cache.bytes <= 2 * BIG_SIZE
        assert [service.held(stream_id).state for stream_id in BIG_ID] == [state for state, _ in BIG]
        assert service.cache_info()["bytes"] == service.cache.bytes
    finally:
        pins.close()
