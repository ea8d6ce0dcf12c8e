"""Component news (fakenet.node.component_news): a `cn` frame moves every node's freshness count once
if any of its ids is new, only the new ids are flooded on, held news goes on under its own ids
(merged into batches, never renamed) unless the node lags and folds it, and a frame costs a peer no
more than its budget allows."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from fakenet.node import clock, component_news
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


def stamped(seconds_ago=0.0, n=0):
    """A stamped id made `seconds_ago` (as another new node makes them)."""
    return f"{round((clock.wall() - seconds_ago) * 1000):012x}{n:016x}"


def test_news_moves_the_count_once_per_id_and_is_flooded_to_the_other_links():
    async def scenario():
        news, swarm, service, (a, b, c) = wired("a", "b", "c")
        await swarm.handlers["cn"](a, {"t": "cn", "id": "00ff"})  # an older node's frame
        await swarm.handlers["cn"](b, {"t": "cn", "id": "00ff"})  # the same news by another path
        return service.connections(), a.sent, b.sent, c.sent, swarm.limits["cn"]

    count, to_a, to_b, to_c, limit = asyncio.run(scenario())
    assert count == 4  # the swarm's 3, plus one for the news
    assert to_a == [] and to_b == to_c == [{"t": "cn", "id": "00ff"}]  # forwarded in the form it came
    assert limit == component_news.MAX_BYTES


def test_a_batch_moves_the_count_once_and_only_its_new_ids_go_on_in_one_frame():
    async def scenario():
        news, swarm, service, (a, b, c) = wired("a", "b", "c")
        first, second, third = (stamped(n=n) for n in range(3))
        await swarm.handlers["cn"](a, {"t": "cn", "ids": [first, second]})
        counts = [service.connections()]
        await swarm.handlers["cn"](b, {"t": "cn", "ids": [second, third, third, "00ff"]})
        counts.append(service.connections())
        await swarm.handlers["cn"](c, {"t": "cn", "ids": [first, third, "00ff"]})  # nothing new
        counts.append(service.connections())
        return counts, a.sent, b.sent, c.sent, (first, second, third)

    counts, to_a, to_b, to_c, (first, second, third) = asyncio.run(scenario())
    assert counts == [4, 5, 5]  # once per frame with news in it, however many of its ids are new
    assert to_c == [{"t": "cn", "ids": [first, second]}, {"t": "cn", "ids": [third, "00ff"]}]
    assert to_a == [to_c[1]] and to_b == [to_c[0]]  # never back to the link it came from


def test_a_new_connection_floods_fresh_news_to_every_link():
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        await swarm.on_connect[0](a)
        await swarm.on_connect[0](b)
        return service.connections(), a.sent, b.sent

    count, to_a, to_b = asyncio.run(scenario())
    assert count == 3  # our own connection is counted by the swarm, not twice
    assert len(to_a) == len(to_b) == 2 and to_a[0]["id"] != to_a[1]["id"]
    stamps = [component_news.stamp_of(message["id"]) for message in to_a]
    assert all(stamp == pytest.approx(clock.wall(), abs=5) for stamp in stamps)  # stamped with the wall clock


def test_news_made_skew_before_the_newest_counted_is_covered_neither_counted_nor_forwarded():
    """A node that counted news made at t moved its count after everything made before t - SKEW
    (clocks agree within SKEW): older news needs no count there, and the nodes beyond got (or get)
    the newer news from it."""
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        await swarm.handlers["cn"](a, {"t": "cn", "id": stamped(n=1)})
        await swarm.handlers["cn"](a, {"t": "cn", "id": stamped(component_news.SKEW * 2, n=2)})  # covered
        await swarm.handlers["cn"](a, {"t": "cn", "id": stamped(component_news.SKEW / 5, n=3)})  # not yet
        return service.connections(), [message["id"][-1] for message in b.sent]

    count, forwarded = asyncio.run(scenario())
    assert count == 5 and forwarded == ["1", "3"]


def test_a_stamp_in_the_future_is_counted_as_made_now_and_covers_nothing_made_since():
    """A host whose clock runs ahead is not cut off; and its stamps (or a rogue's) cannot make this
    node drop real news made after it counted them."""
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        await swarm.handlers["cn"](a, {"t": "cn", "id": stamped(-3600, n=1)})  # an hour ahead
        await swarm.handlers["cn"](a, {"t": "cn", "id": stamped(n=2)})  # made now, after it was counted
        return service.connections(), [message["id"][-1] for message in b.sent], a.closed

    count, forwarded, closed = asyncio.run(scenario())
    assert closed is None and count == 5 and forwarded == ["1", "2"]


@pytest.mark.parametrize("bad", [None, "", 7, "G0", "AB", "0" * 33, ["00"]])
def test_a_malformed_id_is_refused_before_it_moves_anything(bad):
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        with pytest.raises(FrameRefused):
            await swarm.handlers["cn"](a, {"t": "cn", "id": bad})
        return service.connections(), b.sent

    assert asyncio.run(scenario()) == (3, [])


@pytest.mark.parametrize("frame", [
    {"t": "cn"}, {"t": "cn", "id": "00", "ids": ["01"]}, {"t": "cn", "ids": []}, {"t": "cn", "ids": "00"},
    {"t": "cn", "ids": [f"{n:x}" for n in range(component_news.BATCH + 1)]}, {"t": "cn", "ids": ["00", "AB"]},
    {"t": "cn", "ids": ["00", None]}, {"t": "cn", "ids": ["0" * 33]},
])
def test_a_malformed_batch_is_refused_whole_before_it_moves_anything(frame):
    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        with pytest.raises(FrameRefused):
            await swarm.handlers["cn"](a, frame)
        return service.connections(), b.sent

    assert asyncio.run(scenario()) == (3, [])


def test_the_largest_batch_fits_the_frame_limit_and_one_byte_more_would_not():
    from fakenet.node import framing

    largest = {"t": "cn", "ids": ["f" * component_news.ID_CHARS] * component_news.BATCH}
    assert len(framing.payload(largest)) == component_news.MAX_BYTES
    assert len(framing.payload({"t": "cn", "id": stamped()})) < component_news.MAX_BYTES


def test_a_peer_flooding_news_is_cut_off_at_its_budget_and_forwarding_stays_under_every_peers_budget():
    async def scenario():
        news, swarm, service, (rogue, honest) = wired("rogue", "honest")
        sent = 0
        while rogue.closed is None and sent < 10_000:
            ids = [stamped(n=sent * component_news.BATCH + k) for k in range(component_news.BATCH)]
            await swarm.handlers["cn"](rogue, {"t": "cn", "ids": ids})
            sent += 1
        for task in swarm.tasks:
            task.cancel()
        return sent, service.connections(), len(honest.sent), rogue.closed, news

    sent, count, forwarded, closed, news = asyncio.run(scenario())
    assert closed and "budget" in closed
    assert sent <= component_news.RECEIVE_BURST + 2  # the burst, then the frame that broke it
    assert count - 3 <= component_news.RECEIVE_BURST  # one bump per frame taken, however many ids
    assert forwarded <= component_news.SEND_BURST + 1 < component_news.RECEIVE_BURST
    held = sum(map(len, news._held.values()))
    assert held <= component_news.HELD and news._owed is not None  # the rest is owed to a fold, not kept


def test_news_held_back_by_the_send_rate_goes_out_later_under_its_own_ids_merged_into_batches(monkeypatch):
    """The flood ends by deduplication only if held news keeps its ids: a fresh id for it (as
    before) is new news to every node, which sends on a fresh id of its own, and so on forever."""
    monkeypatch.setattr(component_news, "SEND_RATE", 20.0)  # the refill a test can wait for

    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        ids = [stamped(n=n) for n in range(int(component_news.SEND_BURST) + 5)]
        for news_id in ids:
            await swarm.handlers["cn"](a, {"t": "cn", "id": news_id})
        right_away = len(b.sent)
        await asyncio.wait_for(asyncio.gather(*swarm.tasks), 5)
        return ids, right_away, b.sent, a.sent, news.folds

    ids, right_away, to_b, to_a, folds = asyncio.run(scenario())
    assert right_away == component_news.SEND_BURST
    late = ids[right_away:]
    assert to_b[right_away:] == [{"t": "cn", "ids": late[::-1]}] and to_a == to_b[right_away:]  # newest first
    assert folds == 0


def test_held_news_of_each_link_takes_its_turn_so_a_full_queue_does_not_hold_back_the_others(monkeypatch):
    monkeypatch.setattr(component_news, "SEND_BURST", 1.0)
    monkeypatch.setattr(component_news, "SEND_RATE", 20.0)

    async def scenario():
        news, swarm, service, (rogue, honest, other) = wired("rogue", "honest", "other")
        await swarm.handlers["cn"](rogue, {"t": "cn", "id": stamped(n=999)})  # spends the burst
        for frame_no in range(8):
            ids = [stamped(n=frame_no * component_news.BATCH + k) for k in range(component_news.BATCH)]
            await swarm.handlers["cn"](rogue, {"t": "cn", "ids": ids})
        mine = stamped(n=10_000)
        await swarm.handlers["cn"](honest, {"t": "cn", "id": mine})
        while not other.sent[1:]:
            await asyncio.sleep(0.01)
        for task in swarm.tasks:
            task.cancel()
        return mine, other.sent[1]

    mine, next_frame = asyncio.run(scenario())
    assert mine in next_frame["ids"]  # in the very next frame, beside the rogue's 255 waiting ids


def test_a_node_lagging_on_news_folds_it_into_one_fresh_id_that_covers_it(monkeypatch):
    """Only news a node lags on (more than a frame waits past its fold time, or a queue overflowed)
    becomes a fresh id: made SKEW after it, so every node that counts the fresh id may drop it."""
    monkeypatch.setattr(component_news, "SEND_BURST", 1.0)
    monkeypatch.setattr(component_news, "SEND_RATE", 10.0)  # the first refill comes after the fold time
    monkeypatch.setattr(component_news, "SKEW", 0.05)
    monkeypatch.setattr(component_news, "FOLD_SPREAD", 0.0)

    async def scenario():
        news, swarm, service, (a, b) = wired("a", "b")
        await swarm.handlers["cn"](a, {"t": "cn", "id": stamped(n=999)})
        ids = [stamped(n=k) for k in range(component_news.BATCH + 1)]
        await swarm.handlers["cn"](a, {"t": "cn", "ids": ids[:-1]})
        await swarm.handlers["cn"](a, {"t": "cn", "id": ids[-1]})
        counted = service.connections()
        while not b.sent[1:]:
            await asyncio.sleep(0.01)
        await swarm.handlers["cn"](a, {"t": "cn", "id": ids[0]})  # the same news again, late: covered
        for task in swarm.tasks:
            task.cancel()
        return counted, service.connections(), b.sent[1:], news

    counted, count, fold, news = asyncio.run(scenario())
    assert [sorted(message) for message in fold] == [["id", "t"]]  # one frame of one id, for 33 held
    assert news.folds == 1 and news._held == {} and count == counted + 1  # the fold is counted here too
    assert component_news.stamp_of(fold[0]["id"]) == pytest.approx(clock.wall(), abs=1)


def test_the_fold_gap_doubles_for_folds_in_a_row(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(clock, "wall", lambda: now[0])
    monkeypatch.setattr(component_news, "FOLD_SPREAD", 0.0)
    news, swarm, service, _ = wired("a")
    times = []
    for _ in range(5):
        now[0] = news._fold_time()
        news._owed = now[0]
        news._fold()
        times.append(now[0])
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
    assert gaps == [1.0, 2.0, 4.0, 8.0]  # SKEW waits are inside the first gap
