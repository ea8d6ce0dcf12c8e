"""LogBudget: a burst, then a steady rate; what was held back is counted in the next line."""

import pytest

from fakenet.node.log_budget import LogBudget
from support import node_lines


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def said(caplog):
    with node_lines.said(caplog) as lines:
        yield lines


@pytest.mark.parametrize("level", ["warning", "info"])
def test_a_flood_writes_the_burst_then_one_line_per_second_with_the_count(said, level):
    clock = Clock()
    budget = LogBudget(rate=1.0, burst=3, now=clock)
    for _ in range(10_000):
        getattr(budget, level)("peer_refused", reason="x")
    clock.now = 1.0
    getattr(budget, level)("peer_refused", reason="x")
    lines = said("peer_refused")
    assert [line.levelname for line in lines] == [level.upper()] * 4
    assert lines[-1].fields["suppressed"] == 9_997


def test_events_have_their_own_buckets():
    clock = Clock()
    budget = LogBudget(rate=1.0, burst=1, now=clock)
    assert budget.allow("a") and budget.allow("b")
    assert not budget.allow("a")

