"""A wait's `gone` (waits.wait_for): asked before each look; what it returns ends the wait at once.
A docker run's network removed under it made every wait poll old addresses to its deadline."""

import pytest

from fakenet.errors import NodeGone
from fakenet.harness import ended
from fakenet.harness.fleet import Fleet
from fakenet.harness.waits import wait_for


def test_a_wait_ends_at_the_look_after_the_backend_says_the_network_is_gone():
    looks, lost = [], []

    def probe():
        looks.append(1)
        if len(looks) == 2:  # the network goes during the second look
            lost.append(ended.Ending("network fakenet-x", "was removed (`docker network rm`) while node ran in it",
                                     True, who="(from outside the run)"))
        raise ConnectionError("no route to host")

    fleet = Fleet.__new__(Fleet)  # only what gone() uses
    fleet.watch, fleet.starting = lambda fresh, within=None: lost, False
    with pytest.raises(NodeGone) as caught:
        wait_for(probe, bool, timeout=120, expected="node answers RPC", gone=fleet.gone)
    assert len(looks) == 2 and caught.value.outside
    assert str(caught.value) == ("network fakenet-x was removed (`docker network rm`) while node ran in it (from "
                                 "outside the run), and no step stopped it; then: stopped waiting for node answers RPC")
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_a_wait_whose_network_stays_polls_to_its_deadline_as_before():
    from fakenet.errors import WaitTimeout

    fleet = Fleet.__new__(Fleet)
    fleet.watch, fleet.starting = lambda fresh, within=None: [], False
    with pytest.raises(WaitTimeout):
        wait_for(lambda: 0, bool, timeout=0.2, expected="never", gone=fleet.gone)


def test_a_steps_wait_asks_the_engine_afresh_before_its_first_look_and_a_starts_waits_do_not():
    """An answer from before the network went let the first look hang on connections to addresses that were
    gone, to the RPC timeout (30 s), before the wait looked again."""
    asked = []
    fleet = Fleet.__new__(Fleet)
    fleet.watch, fleet.starting = lambda fresh, within=None: asked.append(fresh) or [], False
    answers = iter([False, False, True])
    wait_for(lambda: next(answers), bool, timeout=10, expected="x", gone=fleet.gone)
    assert asked == [True, False, False]
    asked.clear()
    fleet.starting = True  # 3 waits a node at start: the last look's answer is enough
    wait_for(lambda: True, bool, timeout=10, expected="x", gone=fleet.gone)
    assert asked == [False]
