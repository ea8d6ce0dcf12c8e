"""The suite's scheduling under xdist (loaded by the controller too, which never collects)."""

import pytest

from fakenet.harness import clock as harness_clock
from fakenet.node import clock as node_clock
from support import collector, machine_summary, rewrite_cache, shared_fixtures

collector.off()  # until collection ends (support/collector.py)


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    """Collection over, in a worker, under -n 0 and in the xdist controller alike: the collector on
    again, over what the tests make (support/collector.py)."""
    try:
        yield
    finally:
        collector.frozen_and_on()


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (`./fake test`'s default): items that share a costly module-scoped fixture
    go to one worker together, every other item on its own (support/shared_fixtures.py)."""
    if config.getoption("dist") == "loadgroup":
        return shared_fixtures.make_scheduler(config, log)
    return None


def pytest_report_header(config):
    """The CPU the suite runs on, where its time is read (support/machine_summary.py)."""
    return machine_summary.header() if machine_summary.distributed(config) else None


def pytest_sessionstart(session):
    if machine_summary.distributed(session.config):
        machine_summary.start()


def pytest_terminal_summary(terminalreporter, config):
    """After a distributed run of the suite (or a good part of it): how fast the machine was and what
    the run had of it. A run of a few files is spared the reference work's ~0.6 s."""
    ran = sum(len(terminalreporter.stats.get(outcome, ())) for outcome in ("passed", "failed", "error", "skipped"))
    if machine_summary.distributed(config) and ran >= machine_summary.SUITE_SIZED and (line := machine_summary.summary()):
        terminalreporter.write_line(line)


def pytest_xdist_setupnodes(config, specs):
    """Before the workers start: the test modules' rewritten asserts, cached once for all of them
    (support/rewrite_cache.py)."""
    rewrite_cache.warm(config)


@pytest.fixture(autouse=True)
def _clocks_left_as_found():
    """A test that leaves the sim backend's network time installed in the node's or the harness's
    clock (a World activated and never closed) makes every later test in its worker read a clock
    that no longer moves: a 0.2 s link delay then never passes. Fail the test that leaked it, and
    put the real clocks back so the leak ends with it."""
    before = (node_clock._monotonic, harness_clock.is_virtual())
    yield
    after = (node_clock._monotonic, harness_clock.is_virtual())
    if after != before:
        node_clock.reset()
        harness_clock.reset()
        pytest.fail("this test left a sim world's clock installed (a World activated and never closed): "
                    f"node clock {before[0]!r} -> {after[0]!r}, harness clock virtual {before[1]} -> {after[1]}")
