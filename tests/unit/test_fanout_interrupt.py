"""Ctrl-C while a fan-out waits on nodes: the workers' waits end at their next poll (a local
run's start-up took 60 s to exit after SIGINT, the start timeout, while the interpreter joined
threads polling nodes that had died with the same SIGINT)."""

import threading

import pytest

from fakenet.errors import WaitTimeout
from fakenet.harness import waits
from fakenet.harness.fanout import fan_out


def test_an_interrupted_fan_out_abandons_its_workers_waits_and_can_wait_again():
    seen: list[BaseException] = []
    waiting = threading.Event()

    def work(item):
        if item == "interrupt":
            waiting.wait(10)
            raise KeyboardInterrupt  # as the main thread gets it from a terminal's Ctrl-C
        waiting.set()
        try:
            waits.wait_for(lambda: False, bool, timeout=20, expected="a node that died with the SIGINT")
        except WaitTimeout as exc:
            seen.append(exc)
            raise

    with pytest.raises(KeyboardInterrupt):
        fan_out(work, ["interrupt", "waits"], 2)
    assert len(seen) == 1 and "abandoned" in str(seen[0]), seen  # ended by the interrupt, not its deadline
    assert not waits.ABANDONED.is_set()  # the next command's waits run to their own deadlines
    with pytest.raises(WaitTimeout, match="timed out"):
        waits.wait_for(lambda: False, bool, timeout=0.05, expected="nothing")
