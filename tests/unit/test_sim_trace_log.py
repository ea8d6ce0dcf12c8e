"""The sim's trace takes a node's events straight from its EventLogger (no LogRecord): the same
line as the record path writes, and the record path whenever the logger is not the trace's alone."""

import logging

import pytest

from fakenet.node import logs
from fakenet.sim.world import World


@pytest.fixture
def world(tmp_path):
    world = World(1, tmp_path, trace=tmp_path / "run.trace")
    world.activate()
    try:
        yield world
    finally:
        world.close()


def test_an_event_is_the_line_the_record_path_writes(world, tmp_path):
    logs.get().warning("peer_refused", addr=f"{tmp_path}/x:1", reason="cut")
    logging.getLogger("fakenet.node").log(logging.WARNING, "peer_refused",
                                          extra={"fields": {"addr": f"{tmp_path}/x:1", "reason": "cut"}})
    direct, recorded = world.logs["-"]
    assert direct == recorded == "t=0.000000 node=- level=warning event=peer_refused addr=<workdir>/x:1 reason=cut"


def test_a_level_below_the_loggers_is_dropped_on_either_path(world):
    logs.get().debug("unknown_message", type="zz")
    assert "-" not in world.logs


def test_a_filter_on_the_logger_sees_every_event(world):
    seen = []
    logger = logging.getLogger("fakenet.node")
    logger.addFilter(lambda record: seen.append(record.getMessage()) or True)
    try:
        logs.get().info("peer_connected", peer="node2")
    finally:
        logger.filters.clear()
    assert seen == ["peer_connected"]
    assert list(world.logs["-"]) == ["t=0.000000 node=- level=info event=peer_connected peer=node2"]


def test_an_error_with_its_exception_takes_the_record_path(world):
    try:
        raise ValueError("boom")
    except ValueError as exc:
        logs.get().error("message_handler_failed", exc_info=exc, type="zz")
    assert list(world.logs["-"]) == ["t=0.000000 node=- level=error event=message_handler_failed type=zz"]
