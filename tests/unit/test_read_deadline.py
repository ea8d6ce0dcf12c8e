"""A reader's patience without a timer per frame (fakenet.node.read_deadline), on the virtual-time
loop: a read expires at exactly its own deadline, never earlier, and never outside a read."""

import asyncio

import pytest

from fakenet.node import clock
from fakenet.node.connection import Connection
from fakenet.node.handshake import Hello
from fakenet.node.read_deadline import ReadDeadline
from fakenet.node.secure_channel import SecureChannel
from fakenet.sim.loop import VirtualLoop


@pytest.fixture
def loop():
    loop = VirtualLoop()
    clock.install(loop.time, loop.time)
    yield loop
    clock.reset()
    loop.close()


async def read(deadline: ReadDeadline, patience: float, arrives: float | None) -> float:
    """One read under `patience`; the frame comes after `arrives` seconds (None: never).
    Returns the time the read ended; TimeoutError if it expired."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(None) as guard:
        deadline.reading(guard, loop.time() + patience)
        try:
            await (asyncio.sleep(arrives) if arrives is not None else asyncio.Event().wait())
        finally:
            deadline.done()
    return loop.time()


@pytest.mark.parametrize("patience, every, frames, silent_patience, expires_at", [
    (5.0, 3.0, 10, 5.0, 35.0),  # a frame every 3 s under 5 s: the first timer must re-arm, not expire
    (60.0, 1.0, 1, 2.0, 3.0),  # the patience shrank: fire earlier than the timer already set
])
def test_a_silent_read_expires_at_its_own_deadline(loop, patience, every, frames, silent_patience, expires_at):
    async def main():
        deadline = ReadDeadline(loop)
        for _ in range(frames):
            await read(deadline, patience, every)
        with pytest.raises(TimeoutError):
            await read(deadline, silent_patience, None)
        return loop.time()

    assert loop.run_until_complete(main()) == expires_at


def test_the_time_between_reads_is_not_counted(loop):
    """Handling a frame may take longer than the patience: only a read in progress expires."""
    async def main():
        deadline = ReadDeadline(loop)
        await read(deadline, 5.0, 1.0)
        await asyncio.sleep(20.0)  # the handler of that frame, long past the timer
        return await read(deadline, 5.0, 4.0)

    assert loop.run_until_complete(main()) == 25.0


def test_an_expiry_the_read_outran_does_not_reach_what_runs_between_reads(loop):
    """One guard for many reads, as Connection.run holds it: a frame that comes at the very instant
    of the deadline, and wakes the reader before the expiry does, ends its read; the expiry set
    off meanwhile must not cancel the handling of that frame."""
    async def main():
        deadline = ReadDeadline(loop)
        async with asyncio.timeout(None) as guard:
            frame = loop.create_future()
            loop.call_at(5.0, frame.set_result, "frame")  # due with the deadline, and first in line
            deadline.reading(guard, 5.0)
            try:
                await frame
            finally:
                deadline.done()
            await asyncio.sleep(20.0)  # handling the frame
            return loop.time()

    assert loop.run_until_complete(main()) == 25.0


class Sink:
    """A writer end whose bytes go nowhere: the peer here only talks, never listens."""

    def write(self, data):
        pass

    async def drain(self):
        pass

    def close(self):
        pass


def test_a_connection_closes_a_peer_silent_for_its_timeout_and_keeps_a_talking_one(loop):
    async def main():
        ours, theirs = SecureChannel.pair()
        hello = Hello("12D3KooWpeer", "peer", "/ip4/127.0.0.1/tcp/4011", "net", "00", None, 0)
        reader = asyncio.StreamReader()
        conn = Connection(reader, Sink(), hello, inbound=False, dial_addr=None, local_peer_id="12D3KooWme",
                          channel=theirs)

        async def dispatch(conn, message):
            pass

        running = asyncio.create_task(conn.run(dispatch, ping_interval=1.0, timeout=5.0))
        for number in range(30):  # a ping every 2 s for a minute: well within the timeout
            await asyncio.sleep(2.0)
            reader.feed_data(ours.seal(b'{"t":"ping","n":%d,"d":0}' % number))
        await running
        return loop.time(), conn.close_reason

    closed_at, reason = loop.run_until_complete(main())
    assert (closed_at, reason) == (65.0, "no frame for 5s (peer dead or paused)")
