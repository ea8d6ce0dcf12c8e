"""The virtual-time loop: timers cost no wall time, order by network time, and a deadlock is an error."""

import asyncio
import time

import pytest

from fakenet.sim.loop import Deadlock, VirtualLoop


@pytest.fixture
def loop():
    loop = VirtualLoop()
    yield loop
    loop.close()


def test_an_hour_of_timers_takes_no_wall_time(loop):
    async def main():
        await asyncio.sleep(3600)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), 5)
        return loop.time()

    began = time.monotonic()
    assert loop.run_until_complete(main()) == 3605
    assert time.monotonic() - began < 1


def test_timers_fire_in_network_time_order(loop):
    fired = []
    for delay in (3, 1, 2):
        loop.call_later(delay, lambda d=delay: fired.append((d, loop.time())))
    loop.run_until_complete(asyncio.sleep(4))
    assert fired == [(1, 1), (2, 2), (3, 3)]


def test_waiting_forever_with_no_timer_is_a_deadlock(loop):
    with pytest.raises(Deadlock):
        loop.run_until_complete(asyncio.Event().wait())
