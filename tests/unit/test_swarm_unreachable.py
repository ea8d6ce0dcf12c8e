"""A peer the node cannot reach is reported in its log (not only at debug level), once it has failed
for a while and then once a minute, and its return is reported too."""

import asyncio
import logging

import pytest

from fakenet.node import clock, logs
from fakenet.node.handshake import LocalEnd
from fakenet.node.identity import Identity
from fakenet.node.multiaddr import PeerAddr
from fakenet.node.peerstore import PeerStore
from fakenet.node.swarm import UNREACHABLE_AFTER, UNREACHABLE_REPEAT, DialFailed, Swarm


class Unresolvable:
    """A transport whose names never resolve, as a DNS server that does not know the peer."""

    async def resolve(self, host, port):
        raise OSError(f"[Errno -2] Name or service not known: {host!r}")


@pytest.fixture
def now():
    current = [1000.0]
    clock.install(lambda: current[0], lambda: 1.7e9 + current[0])
    yield current
    clock.reset()


@pytest.fixture
def node_log():
    logger = logging.getLogger("fakenet.node")
    saved = logger.handlers[:], logger.level, logger.propagate
    logs.setup("node")
    logger.propagate = True  # caplog listens at the root
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_an_unreachable_peer_is_warned_about_after_a_while_then_each_minute(tmp_path, now, node_log, caplog):
    local = LocalEnd(Identity.generate(), "node", "/ip4/127.0.0.1/tcp/4011", "fakenet", None)
    swarm = Swarm(local, PeerStore(tmp_path / "peers.json"), [], height=lambda: 0, transport=Unresolvable())
    peer = PeerAddr("dns4", "node2", 4011)

    def dial_at(seconds: float) -> list[str]:
        now[0] = 1000.0 + seconds
        caplog.clear()
        with pytest.raises(DialFailed):
            asyncio.run(swarm._dial(peer))
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]

    assert dial_at(0) == []
    assert dial_at(UNREACHABLE_AFTER - 1) == []
    assert dial_at(UNREACHABLE_AFTER) == ["peer_unreachable"]
    fields = caplog.records[-1].fields
    assert fields["addr"] == "/dns4/node2/tcp/4011" and "Name or service not known" in fields["error"]
    assert dial_at(UNREACHABLE_AFTER + 1) == []
    assert dial_at(UNREACHABLE_AFTER + UNREACHABLE_REPEAT) == ["peer_unreachable"]

    swarm._dial_reached(peer.dial_addr)
    assert [r.getMessage() for r in caplog.records][-1] == "peer_reachable"
    assert dial_at(UNREACHABLE_AFTER + UNREACHABLE_REPEAT + 1) == []  # failing anew: the count starts again
