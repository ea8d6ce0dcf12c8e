"""A node's log records in a unit test, by event name (what its EventLogger wrote through logs.setup)."""

import logging
from contextlib import contextmanager

from fakenet.node import logs


@contextmanager
def said(caplog, level: int = logging.INFO):
    """Yields `lines(event)`: the records of `event` written from here on, at `level` and up."""
    logs.setup("test")
    logger = logging.getLogger("fakenet.node")
    logger.propagate = True  # to caplog; setup() turns it off again
    try:
        with caplog.at_level(level, logger="fakenet.node"):
            yield lambda event: [record for record in caplog.records if record.getMessage() == event]
    finally:
        logger.propagate = False
