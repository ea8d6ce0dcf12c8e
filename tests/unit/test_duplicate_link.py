"""When both ends of a link dial, one connection is retired (fakenet.node.swarm RETIRE_GRACE): both
ends say so in their logs as what it is, and neither reports a peer leaving. Two real swarms on
loopback in one event loop; the log lines are read as `./fake logs -f` shows them."""

import asyncio
import logging

import pytest

from fakenet.node import logs, swarm as swarm_module
from fakenet.node.connection import BYE
from support.swarm_pair import address, pair, until


@pytest.fixture
def node_log(caplog):
    logger = logging.getLogger("fakenet.node")
    saved = logger.handlers[:], logger.level, logger.propagate
    logs.setup("node")
    logger.propagate = True  # caplog listens at the root
    caplog.set_level(logging.INFO, logger="fakenet.node")
    yield caplog
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture(autouse=True)
def short_grace(monkeypatch):
    monkeypatch.setattr(swarm_module, "RETIRE_GRACE", 0.05)


def lines(caplog, event: str) -> list[dict]:
    return [record.fields for record in caplog.records if record.getMessage() == event]


def test_a_duplicate_retired_by_one_end_is_logged_as_that_by_both(tmp_path, node_log):
    """The case a user misread: one end retires the connection the other end still uses."""
    async def scenario():
        async with pair(tmp_path) as (a, b):
            conn = await a.dial_once(address(b))
            await until(lambda: a.local.identity.peer_id in b.connections, "b to list a's connection")
            a._retire(conn, kept=conn)  # as when a's own dial to b had won the tie
            await until(lambda: not b.connections, "b to drop the retired connection")

    asyncio.run(scenario())
    retired = lines(node_log, "duplicate_link_retired")
    assert [(line["peer"], line["kept"], line["retired"]) for line in retired] == [("b", "out", "out")], retired
    left = lines(node_log, "peer_disconnected")
    assert [(line["peer"], line["reason"]) for line in left] == [("a", "duplicate link retired")], left


def test_both_ends_dialling_at_once_log_the_retired_duplicate_and_no_peer_leaving(tmp_path, node_log):
    async def scenario():
        async with pair(tmp_path) as (a, b):
            ended = {a: [], b: []}  # connections that ended, at each end
            for node in (a, b):
                node.on_disconnect.append(ended[node].append)
            await asyncio.gather(a.dial_once(address(b)), b.dial_once(address(a)))
            await until(lambda: len(ended[a]) == len(ended[b]) == 1, "each end to close the duplicate")
            assert ended[a][0].close_reason == ended[b][0].close_reason == "duplicate link retired"
            kept = a.connections[b.local.identity.peer_id], b.connections[a.local.identity.peer_id]
            assert kept[0].dialer_peer_id == kept[1].dialer_peer_id, "both ends kept the same connection"

    asyncio.run(scenario())
    assert sorted(line["peer"] for line in lines(node_log, "duplicate_link_retired")) == ["a", "b"]
    left = [line for line in lines(node_log, "peer_disconnected") if line["reason"] != "shutting down"]
    assert left == [], "a retired duplicate is not a peer leaving"


def test_a_bye_with_a_reason_this_node_does_not_know_is_still_just_a_close(tmp_path, node_log):
    async def scenario():
        async with pair(tmp_path) as (a, b):
            conn = await a.dial_once(address(b))
            await until(lambda: a.local.identity.peer_id in b.connections, "b to list a's connection")
            await conn.send({"t": BYE, "why": "a reason from a newer node"})
            await until(lambda: not b.connections, "b to close on the bye")

    asyncio.run(scenario())
    left = [line for line in lines(node_log, "peer_disconnected") if line["peer"] == "a"]
    assert [line["reason"] for line in left] == ["peer closed the connection"], left


def test_duplicates_still_read_count_against_the_inbound_cap(tmp_path, monkeypatch):
    """One key dialling in again and again: each new link is a duplicate, retired but read for
    RETIRE_GRACE, and was held outside max_inbound (1,440 at once against a node capped at 128)."""
    from fakenet.node.swarm import DialFailed, SwarmSettings

    monkeypatch.setattr(swarm_module, "RETIRE_GRACE", 30.0)

    async def scenario():
        async with pair(tmp_path, SwarmSettings(max_inbound=3)) as (a, b):
            made = 0
            for _ in range(8):
                try:
                    await a.dial_once(address(b))
                    made += 1
                except DialFailed:
                    pass
            return made

    made = asyncio.run(scenario())
    assert made == 3, f"expected b to take 3 links from a (its inbound cap, retired duplicates included), took {made}"
