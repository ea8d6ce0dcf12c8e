"""Issue 24: a held stream answers loads from its copy only while it is fresh (synced since the
node's last new connection); a stale one syncs with the network once, on its next load."""

import asyncio

import pytest

from fakenet.node.stream_network import Searched
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache, apply_commit, apply_genesis, make_genesis, make_update

OWNER = ControllerKey.from_seed(bytes(range(32)))


class Holders:
    """The network as the service sees it: every other holder answers with `tip`'s log."""

    def __init__(self):
        self.state, self.blocks, self.queries, self.fetched = None, {}, 0, []

    async def query(self, stream_id):
        self.queries += 1
        await asyncio.sleep(0)  # concurrent loads overlap here
        if self.state is None:
            return [], Searched(1, 0, 3.0)
        return [{"tip": str(self.state.tip), "log": [str(e.cid) for e in self.state.log]}], Searched(2, 0, 3.0)

    async def fetch(self, cids):
        self.fetched += cids
        return {cid: self.blocks[cid] for cid in cids if cid in self.blocks}, Searched(2, 0, 3.0)


@pytest.fixture
def held(tmp_path):
    """A service holding {"n": 0}, fresh at 0 connections made; the network, where {"n": 1} exists."""
    pins = PinStore(tmp_path / "state.sqlite")
    service = StreamService(OWNER, StreamCache(10), pins)
    service.network, made = Holders(), [0]
    service.connections = lambda: made[0]
    gcid, gdata = make_genesis(OWNER, {"n": 0})
    genesis = apply_genesis(gcid, gdata)
    service._cache(genesis, {gcid: gdata})
    service._mark_synced(genesis.stream_id, 0)
    ucid, udata = make_update(OWNER, genesis, {"n": 1})
    service.network.state = apply_commit(genesis, ucid, udata)
    service.network.blocks = {gcid: gdata, ucid: udata}
    yield service, genesis.stream_id, made
    pins.close()


def load(service, stream_id):
    return asyncio.run(service.load(stream_id)).content


def test_a_fresh_copy_answers_without_asking(held):
    service, stream_id, _ = held
    assert [load(service, stream_id) for _ in range(3)] == [{"n": 0}] * 3
    assert service.network.queries == 0


def test_a_new_connection_makes_the_next_load_sync_once_and_keep_the_newer_state(held):
    service, stream_id, made = held
    made[0] += 1  # a heal
    assert load(service, stream_id) == {"n": 1}
    assert service.cache.peek(stream_id).state.content == {"n": 1}, "the cache holds what the sync settled"
    assert load(service, stream_id) == {"n": 1} and service.network.queries == 1, "fresh again: no second sync"
    assert len(service.network.fetched) == 1, "commits the node held are not fetched again"


def test_concurrent_loads_of_a_stale_stream_share_one_sync(held):
    service, stream_id, made = held
    made[0] += 1

    async def together():
        return await asyncio.gather(*(service.load(stream_id) for _ in range(10)))

    assert [s.content for s in asyncio.run(together())] == [{"n": 1}] * 10
    assert service.network.queries == 1


def test_a_sync_that_finds_no_other_holder_keeps_the_copy(held):
    service, stream_id, made = held
    service.network.state = None
    made[0] += 1
    assert load(service, stream_id) == {"n": 0} and service.fresh(stream_id)


def test_gossip_missing_older_commits_makes_the_stream_stale(held):
    """su carries the newest blocks that fit a frame: a holder missing older ones syncs next load."""
    service, stream_id, _ = held
    newer = service.network.state
    tip = newer.tip
    ucid2, udata2 = make_update(OWNER, newer, {"n": 2})
    asyncio.run(service.receive_update(stream_id, ucid2, {ucid2: udata2}, "peer"))  # {"n": 1} not sent
    assert not service.fresh(stream_id) and service.cache.peek(stream_id).state.content == {"n": 0}
    service.network.state, service.network.blocks[ucid2] = apply_commit(newer, ucid2, udata2), udata2
    assert load(service, stream_id) == {"n": 2} and tip in service.cache.peek(stream_id).blocks


def test_a_sync_answered_with_an_older_state_keeps_the_newer_copy(held):
    """A peer that kept the old state through the partition (or a rogue replaying it) loses."""
    service, stream_id, made = held
    made[0] += 1
    assert load(service, stream_id) == {"n": 1}
    older = apply_genesis(*next(iter(service.network.blocks.items())))
    service.network.state = older
    made[0] += 1
    assert load(service, stream_id) == {"n": 1} and service.network.queries == 2


def test_a_stream_evicted_while_it_synced_is_held_again_as_settled(held):
    service, stream_id, made = held
    made[0] += 1
    query = service.network.query

    async def evicting(sid):
        service.evict(ids=[sid])
        return await query(sid)
    service.network.query = evicting
    assert load(service, stream_id) == {"n": 1}
    assert service.cache.peek(stream_id).state.content == {"n": 1} and service.fresh(stream_id)


def test_component_news_of_a_heal_elsewhere_makes_the_next_load_sync(held):
    """A heal between two other nodes makes no connection here: the `cn` frame it floods moves the
    count instead (fakenet.node.component_news), and only the first copy of an id does."""
    from fakenet.node.component_news import ComponentNews

    class Link:
        id, name, closed = 1, "node2", None

        async def send(self, message):
            pass

    class Swarm:
        connections, on_connect, on_disconnect, handlers = {}, [], [], {}

        def handle(self, message_type, handler, max_bytes=None):
            self.handlers[message_type] = handler

        async def broadcast(self, message, exclude=None):
            pass

    service, stream_id, _ = held
    swarm = Swarm()
    ComponentNews(swarm, service)
    assert load(service, stream_id) == {"n": 0}  # fresh: answers from its copy
    for _ in range(2):  # the same news by two paths
        asyncio.run(swarm.handlers["cn"](Link(), {"t": "cn", "id": "abc1"}))
    assert [load(service, stream_id) for _ in range(2)] == [{"n": 1}] * 2
    assert service.network.queries == 1
