"""LogBudget: a burst, then a steady rate; what was held back is counted in the next line."""

import logging
import sys

import pytest
from aiohttp.http_exceptions import LineTooLong

from fakenet.node import logs
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



def _library_record(error: BaseException):
    try:
        raise error
    except type(error):
        return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "Error handling request from %s",
                                 ("127.0.0.1",), exc_info=sys.exc_info())


def test_aiohttps_lines_of_a_clients_bad_requests_are_within_a_budget_and_its_other_lines_are_not():
    """Anyone can send a request line over 8190 bytes: each was a library_log line (324 KB per 1000)."""
    clock = Clock()
    budget = logs.ClientsFaultBudget(LogBudget(rate=1.0, burst=3, now=clock))
    bad = lambda: _library_record(LineTooLong(b"x" * 9000, "8190"))  # noqa: E731
    assert sum(budget.filter(bad()) for _ in range(1000)) == 3
    assert all(budget.filter(_library_record(RuntimeError("aiohttp's own bug"))) for _ in range(100))
    clock.now = 1.0
    record = bad()
    assert budget.filter(record)
    line = logs.LibraryFormatter("node").format(record)
    assert "bad_request=" in line and line.endswith("suppressed=997"), line
