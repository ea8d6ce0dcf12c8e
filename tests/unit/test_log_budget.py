"""LogBudget: a burst, then a steady rate; what was held back is counted in the next line."""

import logging

from fakenet.node import logs
from fakenet.node.log_budget import LogBudget


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_flood_writes_the_burst_then_one_line_per_second_with_the_count(caplog):
    logs.setup("budget")
    logging.getLogger("fakenet.node").propagate = True  # to caplog; setup() turns it off again
    clock = Clock()
    budget = LogBudget(rate=1.0, burst=3, now=clock)
    try:
        with caplog.at_level(logging.WARNING, logger="fakenet.node"):
            for _ in range(10_000):
                budget.warning("peer_refused", reason="x")
            clock.now = 1.0
            budget.warning("peer_refused", reason="x")
    finally:
        logging.getLogger("fakenet.node").propagate = False
    lines = [record for record in caplog.records if record.getMessage() == "peer_refused"]
    assert len(lines) == 4
    assert lines[-1].fields["suppressed"] == 9_997


def test_events_have_their_own_buckets():
    clock = Clock()
    budget = LogBudget(rate=1.0, burst=1, now=clock)
    assert budget.allow("a") and budget.allow("b")
    assert not budget.allow("a")


def test_info_lines_have_the_same_budget_and_count(caplog):
    logs.setup("budget")
    logging.getLogger("fakenet.node").propagate = True
    clock = Clock()
    budget = LogBudget(rate=1.0, burst=2, now=clock)
    try:
        with caplog.at_level(logging.INFO, logger="fakenet.node"):
            for _ in range(500):
                budget.info("stream_evicted", stream="k")
            clock.now = 1.0
            budget.info("stream_evicted", stream="k")
    finally:
        logging.getLogger("fakenet.node").propagate = False
    lines = [record for record in caplog.records if record.getMessage() == "stream_evicted"]
    assert [line.levelno for line in lines] == [logging.INFO] * 3
    assert lines[-1].fields["suppressed"] == 498
