"""One line per event in logfmt, each carrying the node's name: `ts=… level=info node=node2 event=…`."""

from __future__ import annotations

import logging
import sys
import time

_LOGGER_NAME = "fakenet.node"


def _quote(value) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class LogfmtFormatter(logging.Formatter):
    def __init__(self, node_name: str):
        super().__init__()
        self.node_name = node_name

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        fields = {"ts": ts, "level": record.levelname.lower(), "node": self.node_name, "event": record.getMessage()}
        fields.update(getattr(record, "fields", {}))
        line = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
        if record.exc_info:
            line += " exc=" + _quote(self.formatException(record.exc_info))
        return line


class EventLogger:
    """`log.info("peer_connected", peer=…)`: an event name and key=value fields, nothing else."""

    def __init__(self, logger: logging.Logger):
        self._logger = logger

    def _log(self, level: int, event: str, exc_info=None, **fields) -> None:
        self._logger.log(level, event, extra={"fields": fields}, exc_info=exc_info)

    def debug(self, event: str, **fields) -> None:
        self._log(logging.DEBUG, event, **fields)

    def info(self, event: str, **fields) -> None:
        self._log(logging.INFO, event, **fields)

    def warning(self, event: str, **fields) -> None:
        self._log(logging.WARNING, event, **fields)

    def error(self, event: str, exc_info=None, **fields) -> None:
        self._log(logging.ERROR, event, exc_info=exc_info, **fields)


def setup(node_name: str, debug: bool = False) -> EventLogger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter(node_name))
    logger = logging.getLogger(_LOGGER_NAME)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    return EventLogger(logger)


def get() -> EventLogger:
    return EventLogger(logging.getLogger(_LOGGER_NAME))
