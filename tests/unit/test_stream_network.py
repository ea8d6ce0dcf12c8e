"""StreamNetwork over an in-memory transport: real Connection objects (framing, delay queues)
joined by in-memory pipes into any topology, and a swarm that only routes frames. Checks the
wiring of queries and fetches end to end without processes or sockets."""

import asyncio
import contextlib
import functools
import random

import networkx as nx

import pytest

from fakenet.node import stream_frames, stream_service
from fakenet.node.secure_channel import SecureChannel
from fakenet.node.connection import Connection, LinkShape
from fakenet.node.handshake import Hello
from fakenet.node.stream_network import StreamNetwork
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import (CachedStream, ControllerKey, PinStore, StreamCache, StreamUnavailable, apply_commit,
                                  apply_genesis, make_genesis, make_update)


class Pipe:
    """A writer that feeds what it is given to the reader at the other end."""

    def __init__(self, reader: asyncio.StreamReader):
        self.reader = reader

    def write(self, data):
        self.reader.feed_data(data)

    async def drain(self):
        pass

    def close(self):
        self.reader.feed_eof()

    def get_extra_info(self, _name):
        return None


class Swarm:
    """Just enough of fakenet.node.swarm.Swarm for StreamNetwork: a table of connections that routes frames."""

    def __init__(self, name):
        self.name, self.connections, self.handlers = name, {}, {}
        self.connections_made = 0
        self.on_connect, self.on_disconnect, self.tasks = [], [], set()

    def handle(self, message_type, handler, max_bytes=None):
        self.handlers[message_type] = handler

    async def broadcast(self, message, exclude=None):
        for conn in [c for c in self.connections.values() if c is not exclude]:
            await conn.send(message)

    def spawn(self, coroutine):
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        return task

    async def dispatch(self, conn, message):
        await self.handlers[message["t"]](conn, message)

    def serve(self, conn):
        async def serve():
            try:
                await conn.run(self.dispatch, ping_interval=3600, timeout=3600)
            finally:
                for listener in self.on_disconnect:
                    listener(conn)
        self.spawn(serve())


class Service:
    sync_timeout = 3.0

    def __init__(self, held=None, fresh=True):
        self._held, self._fresh = held, fresh

    def fresh(self, stream_id):
        return self._fresh

    async def find(self, stream_id):
        return self._held if self._held and self._held.state.stream_id == stream_id else None

    async def find_state(self, stream_id):
        held = await self.find(stream_id)
        return held.state if held else None

    async def blocks_for(self, cids):
        return {c: self._held.blocks[c] for c in cids if self._held and c in self._held.blocks}


def join(a: Swarm, b: Swarm, delay: float = 0.0) -> None:
    a_reads, b_reads = asyncio.StreamReader(), asyncio.StreamReader()
    a_end, b_end = SecureChannel.pair()
    for swarm, reader, writer, peer, channel in ((a, a_reads, Pipe(b_reads), b, a_end), (b, b_reads, Pipe(a_reads), a, b_end)):
        hello = Hello(f"12D3KooW{peer.name}", peer.name, f"/dns4/{peer.name}/tcp/4011", "net", "00", None, 0)
        conn = Connection(reader, writer, hello, inbound=False, dial_addr=None, local_peer_id=f"12D3KooW{swarm.name}",
                          channel=channel)
        conn.set_shape(LinkShape(delay=delay), random.Random())
        swarm.connections[hello.peer_id] = conn
        swarm.serve(conn)


async def network(graph: nx.Graph, holder, held, delay=None):
    swarms = {node: Swarm(str(node)) for node in graph}
    nets = {node: StreamNetwork(swarms[node], Service(held if node == holder else None)) for node in graph}
    for u, v in graph.edges:
        join(swarms[u], swarms[v], (delay or {}).get(frozenset((u, v)), 0.0))
    return nets, swarms


def a_stream():
    cid, data = make_genesis(ControllerKey.generate(), {"hello": "world"})
    return CachedStream(apply_genesis(cid, data), {cid: data})


def test_a_64_node_line_answers_a_query_and_a_fetch_from_the_far_end():
    held = a_stream()

    async def scenario():
        nets, swarms = await network(nx.path_graph(64), 63, held)
        (answer,), _ = await nets[0].query(held.state.stream_id)
        blocks, _ = await nets[0].fetch([held.state.tip])
        missing, searched = await nets[0].query(a_stream().state.stream_id)
        for swarm in swarms.values():
            for conn in swarm.connections.values():
                conn.close("test over")
        return answer, blocks, missing, searched

    answer, blocks, missing, searched = asyncio.run(scenario())
    assert answer["tip"] == str(held.state.tip)
    assert blocks == held.blocks
    assert missing == [] and searched.nodes == 64, "a stream nobody holds: the search covered the line"
    assert "searched all 63 other nodes connected to it" in searched.describe()


def test_a_slow_short_link_beside_a_long_ring_detour_still_finds_the_holder():
    """Issue 13, case 2, with real delay queues: 0→1 is 500 ms slow, the holder hangs off 1. The
    answer comes round the detour; the query then waits for the slow link's `done` (another holder
    could be behind it), which its delay holds back, but no longer than the sync window."""
    held = a_stream()
    graph = nx.cycle_graph(12)
    graph.add_edge(1, "h")

    async def scenario():
        nets, swarms = await network(graph, "h", held, delay={frozenset((0, 1)): 0.5})
        loop = asyncio.get_running_loop()
        started = loop.time()
        answers, searched = await nets[0].query(held.state.stream_id)
        took = loop.time() - started
        for swarm in swarms.values():
            for conn in swarm.connections.values():
                conn.close("test over")
        return answers, searched, took

    answers, searched, took = asyncio.run(scenario())
    assert [answer["tip"] for answer in answers] == [str(held.state.tip)]
    assert searched.nodes == 13 and 0.5 <= took < Service.sync_timeout


def close_all(swarms):
    for swarm in swarms.values():
        for conn in swarm.connections.values():
            conn.close("test over")


def test_an_answer_too_big_for_one_frame_arrives_in_several_across_relays():
    """Issue 24: `br` has a byte limit (1 MiB); a holder splits its answer, relays pass each part on."""
    from fakenet.node import stream_frames
    from fakenet.node.streams import codec
    big = {codec.cid_of(bytes([i]) * 200_000): bytes([i]) * 200_000 for i in range(12)}
    held = a_stream()
    held = CachedStream(held.state, {**held.blocks, **big})

    async def scenario():
        nets, swarms = await network(nx.path_graph(3), 2, held)
        seen = []
        relay = swarms[1].handlers["br"]

        async def counting(conn, message):
            seen.append(len(message["blocks"]))
            await relay(conn, message)
        swarms[1].handlers["br"] = counting
        blocks, _ = await nets[0].fetch(list(big))
        close_all(swarms)
        return blocks, seen

    blocks, seen = asyncio.run(scenario())
    assert blocks == big
    assert len(seen) > 1 and sum(seen) == len(big), f"parts the relay saw: {seen}"
    assert 12 * 400_000 > stream_frames.BLOCKS_BYTES


def test_a_flooded_query_is_passed_on_without_the_fields_it_is_not_checked_for():
    """A rogue padding its queries to the byte limit must not make every node forward the padding."""
    held = a_stream()

    async def scenario():
        nets, swarms = await network(nx.path_graph(3), 2, held)
        arrived = []
        answer = swarms[2].handlers["sq"]

        async def recording(conn, message):
            arrived.append(message)
            await answer(conn, message)
        swarms[2].handlers["sq"] = recording
        conn = next(iter(swarms[1].connections.values()))  # node 1's link to node 0: the query comes from there
        await swarms[1].handlers["sq"](conn, {"t": "sq", "qid": "padded", "stream": held.state.stream_id.encode(),
                                              "pad": "x" * 800})
        async def forwarded():
            while not arrived:
                await asyncio.sleep(0.01)  # polled: in-memory links take a few loop turns
        await asyncio.wait_for(forwarded(), 5)
        close_all(swarms)
        return arrived[0]

    forwarded = asyncio.run(scenario())
    assert forwarded == {"t": "sq", "qid": "padded", "stream": held.state.stream_id.encode()}


async def until(check, deadline: float, expected: str):
    """Poll `check` on the event loop until it holds, or fail at `deadline` seconds saying what was awaited."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not check():
        if loop.time() > end:
            raise AssertionError(f"not within {deadline:g}s: {expected}")
        await asyncio.sleep(0.01)  # polling interval, to the deadline above


def test_a_rogues_flood_through_a_relay_drops_the_rogue_and_never_the_honest_link():
    """Issue 24: a relay passed on every query a rogue sent within the rogue's budget, so its other
    neighbour charged them all to the relay and dropped it ("over its work budget … type=sq"), and
    the relay dropped that neighbour for the `qd` replies. Two rogues flood the relay with twice
    what any peer may send (budgets scaled down so the test does not race the refill): the relay
    drops both, the relay–holder link stays up on both sides, and a load through it still works."""
    from fakenet.node import stream_network
    held, unknown = a_stream(), a_stream().state.stream_id.encode()
    graph = nx.Graph([("rogue", "relay"), ("rogue2", "relay"), ("relay", "holder")])

    async def scenario():
        nets, swarms = await network(graph, "holder", held)
        floods = [swarms[rogue].connections["12D3KooWrelay"] for rogue in ("rogue", "rogue2")]
        for n in range(2 * stream_network.WORK_BURST):
            for i, flood in enumerate(floods):
                await flood.send({"t": "sq", "qid": f"flood{i}-{n}", "stream": unknown})
        dropped = [swarms["relay"].connections[f"12D3KooW{rogue}"].closed for rogue in ("rogue", "rogue2")]
        await until(lambda: all(d.is_set() for d in dropped), 10, "the relay drops both rogues")
        # FIFO links: the holder answers this after every query the relay passed on, and the
        # relay reads the answer after every reply to those.
        load, _ = await nets["relay"].query(held.state.stream_id)
        links = {(a, b): swarms[a].connections[f"12D3KooW{b}"].closed.is_set()
                 for a, b in (("relay", "holder"), ("holder", "relay"))}
        close_all(swarms)
        return links, load

    with patched(stream_network, WORK_RATE=20, WORK_BURST=400):
        links, load = asyncio.run(scenario())
    assert links == {("relay", "holder"): False, ("holder", "relay"): False}, f"closed links after the flood: {links}"
    assert [a["tip"] for a in load] == [str(held.state.tip)], "a load through the relay finds the holder"


def test_a_stale_holder_answers_and_passes_the_query_on_to_a_newer_holder_behind_it():
    """0 - 1 - 2: node 1 holds the genesis, node 2 an update on it. A fresh node 1 answers alone; a
    stale one (its component changed since it synced: fakenet.node.component_news) answers and passes
    the query on, so the asker gets node 2's newer tip too."""
    from fakenet.node.streams import make_update, apply_commit
    key = ControllerKey.generate()
    cid, data = make_genesis(key, {"n": 0})
    old = CachedStream(apply_genesis(cid, data), {cid: data})
    update_cid, update_data = make_update(key, old.state, {"n": 1})
    new = CachedStream(apply_commit(old.state, update_cid, update_data), {cid: data, update_cid: update_data})

    async def scenario(fresh):
        swarms = {node: Swarm(str(node)) for node in range(3)}
        services = {0: Service(), 1: Service(old, fresh=fresh), 2: Service(new)}
        nets = {node: StreamNetwork(swarms[node], services[node]) for node in range(3)}
        join(swarms[0], swarms[1])
        join(swarms[1], swarms[2])
        answers, _ = await nets[0].query(old.state.stream_id)
        for swarm in swarms.values():
            for conn in swarm.connections.values():
                conn.close("test over")
        return sorted(answer["tip"] for answer in answers)

    assert asyncio.run(scenario(fresh=True)) == [str(old.state.tip)]
    assert asyncio.run(scenario(fresh=False)) == sorted([str(old.state.tip), str(new.state.tip)])


LONG = 1_100  # updates: past one answer's MAX_LOG window, as a counter updated every minute for 18 hours


@functools.cache
def a_long_stream() -> CachedStream:
    key = ControllerKey.from_seed(bytes(range(32)))
    cid, data = make_genesis(key, {"n": 0})
    state, blocks = apply_genesis(cid, data), {cid: data}
    for n in range(1, LONG + 1):
        cid, data = make_update(key, state, {"n": n})
        state, blocks[cid] = apply_commit(state, cid, data), data
    return CachedStream(state, blocks)


def long_load(tmp_path, graph, holder, length_said=None, **limits):
    """Node 0 (a real StreamService) loads the long stream `holder` holds; the `sr` frames node 0
    received, and whether each of its links is still up. With `length_said`, the answers lie about
    the log's length."""
    held = a_long_stream()

    async def scenario():
        nets, swarms = await network(graph, holder, held)
        pins = PinStore(tmp_path / "asker.sqlite")
        asker = StreamService(ControllerKey.generate(), StreamCache(10), pins)
        asker.network = nets[0]
        nets[0].service = asker
        answers, answer = [], swarms[0].handlers["sr"]

        async def recording(conn, message):
            answers.append(message)
            await answer(conn, message if length_said is None else {**message, "length": length_said})
        swarms[0].handlers["sr"] = recording
        try:
            with patched(stream_service, **limits):
                return await asker.load(held.state.stream_id), answers, [
                    not conn.closed.is_set() for conn in swarms[0].connections.values()]
        finally:
            close_all(swarms)
            pins.close()

    return held, asyncio.run(scenario())


@contextlib.contextmanager
def patched(module, **values):
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def test_a_log_longer_than_one_answer_loads_by_walking_back_and_the_holder_stays_connected(tmp_path):
    """Before: the holder's `sr` listed all 1,101 commits, over MAX_LOG (and the byte limit), so the
    asker dropped the honest holder as malformed and the load failed."""
    held, (state, answers, up) = long_load(tmp_path, nx.path_graph(3), 2)
    assert state.tip == held.state.tip and state.content == {"n": LONG} and len(state.log) == LONG + 1
    assert up == [True], "the relay towards the holder is still connected"
    first, page = answers[0], answers[1]
    assert first["length"] == LONG + 1 and len(first["log"]) == stream_frames.MAX_LOG
    assert first["log"][-1] == str(held.state.tip), "the newest window"
    assert page["log"][0] == str(held.state.stream_id.genesis), "the page walked back reaches the genesis"
    assert all(len(a["log"]) <= stream_frames.MAX_LOG for a in answers)


def test_a_log_longer_than_a_load_takes_is_refused_with_a_clear_error(tmp_path):
    """The bound on a walk: with LONGEST_LOG under the stream's length, the load is refused (logged:
    the log is longer than a load takes) and the holder is not dropped for it."""
    with pytest.raises(StreamUnavailable, match="a holder's log of 1101 commits is longer than the 500 a load takes"):
        long_load(tmp_path, nx.path_graph(2), 1, LONGEST_LOG=500)
    # The answer's window fits and its length could be a lie: the walk itself runs over the bound.
    with pytest.raises(StreamUnavailable, match="is longer than the 1050 commits a load takes"):
        long_load(tmp_path, nx.path_graph(2), 1, length_said=1, LONGEST_LOG=1_050)
    # A walk that does not reach the genesis in its rounds (a rogue answering thin windows) is refused.
    with pytest.raises(StreamUnavailable, match="was not fetched in 0 rounds of 1024 commits"):
        long_load(tmp_path, nx.path_graph(2), 1, WALK_ROUNDS=0)


def test_a_walk_back_is_paced_to_a_quarter_of_the_budget_its_peers_are_granted():
    """A load asks for windows and blocks round after round: past its burst, each round waits until
    the units it asks for are paid for at WORK_RATE * PACE, so what it asks, passed on by relays
    beside their own traffic, stays under the WORK_RATE every peer grants."""
    from fakenet.node.stream_network import PACE, WORK_BURST, WORK_RATE, Pace

    async def scenario():
        pace, loop = Pace(WORK_RATE * PACE, WORK_BURST * PACE), asyncio.get_running_loop()
        started = loop.time()
        for _ in range(3):
            await pace.spend(500, loop.time())
        return loop.time() - started

    took = asyncio.run(scenario())
    assert took >= (1_500 - WORK_BURST * PACE) / (WORK_RATE * PACE) - 0.01, "the third round waited for the second to be paid"


def test_a_paging_query_whose_end_is_not_a_cid_is_malformed():
    """Refused before the node joins the search or looks anything up (the swarm drops the sender)."""
    held = a_stream()

    async def scenario():
        nets, swarms = await network(nx.path_graph(2), 1, held)
        conn = next(iter(swarms[1].connections.values()))
        try:
            with pytest.raises(ValueError, match="not a CID"):
                await swarms[1].handlers["sq"](conn, {"t": "sq", "qid": "q", "stream": held.state.stream_id.encode(),
                                                      "end": "not a CID"})
        finally:
            close_all(swarms)

    asyncio.run(scenario())


async def with_other_work(work):
    """(what `work()` returned, how many times other work ran on the event loop meanwhile)."""
    ticks = 0

    async def other_work():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(other_work())
    await asyncio.sleep(0)
    started = ticks
    try:
        return await work(), ticks - started
    finally:
        ticker.cancel()


def test_replaying_a_long_log_lets_the_event_loop_run_between_its_steps(tmp_path):
    """A load verifies every commit a holder sent, up to LONGEST_LOG of them: seconds of CPU. Done
    in one go it stalled the loop (a relay once dropped the loader as dead meanwhile); replayed in
    steps, the node's other work runs between them, and the state is rebuild's."""
    from fakenet.node.streams import rebuild
    from fakenet.node.streams.state import STEP

    held = a_long_stream()
    service = StreamService(ControllerKey.generate(), StreamCache(10), PinStore(tmp_path / "pins.sqlite"))

    state, ticks = asyncio.run(with_other_work(
        lambda: service._verified(dict(held.blocks), held.state.tip, held.state.stream_id, "load")))
    assert state == rebuild(held.blocks, held.state.tip, stream_id=held.state.stream_id)
    assert ticks >= 2 * LONG // STEP - 2, f"the loop ran other work {ticks} times while {LONG} commits replayed"


def test_finding_the_heads_of_a_restored_log_lets_the_event_loop_run_between_its_steps(tmp_path):
    """StreamService.restore finds the tips of the events the feed kept (up to LONGEST_LOG of them)
    before it replays them: that decoding ran on the event loop in one go; now in steps, as a replay."""
    from fakenet.node.stream_service import stepped
    from fakenet.node.streams import heads
    from fakenet.node.streams.state import heads_steps
    from fakenet.node.streams.state import STEP

    held = a_long_stream()

    tips, ticks = asyncio.run(with_other_work(lambda: stepped(heads_steps(held.blocks))))
    assert tips == heads(held.blocks) == [held.state.tip]
    assert ticks >= LONG // STEP - 2, f"the loop ran other work {ticks} times while {LONG} commits were decoded"
