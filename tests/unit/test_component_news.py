"""Component news (fakenet.node.component_news): a `cn` frame moves every node's freshness count
once per id, is flooded on, and costs a peer no more than its budget allows."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from fakenet.node import component_news
from fakenet.node.component_news import ComponentNews
from fakenet.node.stream_frames import FrameRefused

_ids = itertools.count()


class Conn:
    def __init__(self, name):
        self.id, self.name, self.sent, self.closed = next(_ids), name, [], None

    async def send(self, message):
        self.sent.append(message)

    def close(self, reason):
        self.closed = reason


class Swarm:
    """Just what ComponentNews uses of fakenet.node.swarm.Swarm."""

    def __init__(self, *links):
        self.connections = {conn.name: conn for conn in links}
        self.handlers, self.limits, self.on_connect, self.on_disconnect, self.tasks = {}, {}, [], [], set()

    def handle(self, message_type, handler, max_bytes=None):
        self.handlers[message_type], self.limits[message_type] = handler, max_bytes

    async def broadcast(self, message, exclude=None):
        for conn in [c for c in self.connections.values() if c is not exclude]:
            await conn.send(message)

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        return task


class Service:
    def __init__(self):
        self.connections = lambda: 3  # the swarm's own count of connections made


def wired(*names):
    links = [Conn(name) for name in names]
    swarm, service = Swarm(*links), Service()
    return ComponentNews(swarm, service), swarm, service, links


def test_news_moves_the_count_once_per_id_and_is_flooded_to_the_other_links():
    async def scenario():
        news, swarm, service, (a, b, c) = wired("a", "b", "c")
        await swarm.handlers["cn"](a, {"t": "cn", "id": "00ff"})
        await swarm.handlers["cn"](b, {"t": "cn", "id": "00ff"})  # the same news by another path
        return service.connections(), a.sent, b.sent, c.sent, swarm.limits["cn"]

    count, to_a, to_b, to_c, limit = asyncio.run(scenario())
    assert count == 4  # the swarm's 3, plus one for the news
    assert to_a == [] and to_b == to_c == [{"t": "cn", "id": "00ff"}]
    assert limit == component_news.MAX_BYTES


def test_a_new_connection_floods_fresh_news_to_every_link():
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        await swarm.on_connect[0](a)
        await swarm.on_connect[0](b)
        return service.connections(), a.sent, b.sent

    count, to_a, to_b = asyncio.run(scenario())
    assert count == 3  # our own connection is counted by the swarm, not twice
    assert len(to_a) == len(to_b) == 2 and to_a[0]["id"] != to_a[1]["id"]


@pytest.mark.parametrize("bad", [None, "", 7, "G0", "AB", "0" * 33, ["00"]])
def test_a_malformed_id_is_refused_before_it_moves_anything(bad):
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        with pytest.raises(FrameRefused):
            await swarm.handlers["cn"](a, {"t": "cn", "id": bad})
        return service.connections(), b.sent

    assert asyncio.run(scenario()) == (3, [])


def test_a_peer_flooding_news_is_cut_off_at_its_budget_and_forwarding_stays_under_every_peers_budget():
    async def scenario():
        news, swarm, service, (rogue, honest) = wired("rogue", "honest")
        sent = 0
        while rogue.closed is None and sent < 10_000:
            await swarm.handlers["cn"](rogue, {"t": "cn", "id": f"{sent:x}"})
            sent += 1
        for task in swarm.tasks:
            task.cancel()
        return sent, service.connections(), len(honest.sent), rogue.closed

    sent, count, forwarded, closed = asyncio.run(scenario())
    assert closed and "budget" in closed
    assert sent <= component_news.RECEIVE_BURST + 2  # the burst, then the frame that broke it
    assert count - 3 <= component_news.RECEIVE_BURST  # one bump per frame taken, no more
    assert forwarded <= component_news.SEND_BURST + 1 < component_news.RECEIVE_BURST


def test_news_held_back_by_the_send_rate_goes_out_later_as_one_fresh_id():
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        for n in range(int(component_news.SEND_BURST) + 5):
            await swarm.handlers["cn"](a, {"t": "cn", "id": f"{n:x}"})
        right_away = len(b.sent)
        await asyncio.wait_for(asyncio.gather(*swarm.tasks), 5)
        return right_away, b.sent, a.sent

    right_away, to_b, to_a = asyncio.run(scenario())
    assert right_away == component_news.SEND_BURST
    assert len(to_b) == right_away + 1 and len(to_a) == 1  # the coalesced news goes to every link
