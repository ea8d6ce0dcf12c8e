"""One line per event in logfmt, each carrying the node's name: `ts=… level=info node=node2 event=…`."""

from __future__ import annotations

import logging
import sys
import time
import unicodedata

from fakenet.node import excerpt

_LOGGER_NAME = "fakenet.node"


# Characters a field may not carry raw: anything that could end the line in some reader (control
# characters, U+0085, U+2028/2029) or make it show other than it is (bidi overrides, zero widths).
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if unicodedata.category(char) in _UNSAFE_CATEGORIES:
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
    return char


def _quote(value) -> str:
    """A logfmt value: bare when plain, else quoted with every unsafe character escaped, so a
    peer-chosen name or reason can never start a line of its own."""
    text = str(value)
    if text and all(char.isprintable() and char not in ' ="\\' for char in text):
        return text
    return '"' + "".join(_escape(char) for char in text) + '"'


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


class LibraryFormatter(LogfmtFormatter):
    """The libraries' own records (aiohttp's, asyncio's) as one logfmt line, never a bare traceback: with
    no handler of theirs, Python's last resort printed aiohttp's "Error handling request" and 12 lines
    of traceback for every request in an unknown method (`FOO /`), which anyone on a published port
    can send; a client's malformed request is said in a bounded field, a real error keeps its
    traceback escaped on the line."""

    LIMIT = 300  # characters of a library's message or of a client's bad request: a peer chose them

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        fields = {"logger": record.name, "msg": record.getMessage()[:self.LIMIT]}
        if error is not None and _is_clients_fault(error):  # its text quotes the request as b'...'
            fields["bad_request"] = excerpt.readable_message(f"{type(error).__name__}: {error}", self.LIMIT)
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None,
                                            "levelname": "WARNING", "levelno": logging.WARNING})  # not the node's error
        if getattr(record, "suppressed", 0):
            fields["suppressed"] = record.suppressed
        copy = logging.makeLogRecord({**record.__dict__, "msg": "library_log", "args": (), "fields": fields})
        return super().format(copy)


def _is_clients_fault(error: BaseException) -> bool:
    """aiohttp's refusals of a request it could not parse (bad method, line, header): the client's."""
    return type(error).__module__.startswith("aiohttp.http_exceptions")


class ClientsFaultBudget(logging.Filter):
    """The libraries' lines of a client's malformed request, within a budget (log_budget.py), as the RPC
    port's http_bad_request: anyone can send a request line over 8190 bytes, and each wrote a line
    (1000 requests, 324 KB a port). One budget for every aiohttp port: the record names none. The next
    line written says how many were held back."""

    EVENT = "library_bad_request"

    def __init__(self, budget):
        super().__init__()
        self._budget = budget

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not _is_clients_fault(error):
            return True
        if not self._budget.allow(self.EVENT):
            return False
        record.suppressed = self._budget.suppressed.pop(self.EVENT, 0)
        return True


LIBRARIES = ("aiohttp", "asyncio")


class DirectHandler(logging.Handler):
    """A handler that takes an event as EventLogger says it (level, event name, fields), so that a
    logger whose one handler it is need not build a LogRecord (the caller's frame found, a dozen
    attributes filled): the sim's trace, where a thousand nodes log tens of thousands of lines.
    `event` must do what `emit` does with the record Logger.log would have made."""

    def event(self, level: int, event: str, fields: dict) -> None:
        raise NotImplementedError


def _direct(logger: logging.Logger, level: int) -> DirectHandler | None:
    """The logger's handler when `Logger.log` would hand the record to it alone, unchanged: one
    DirectHandler, no filters, no propagation, the level enabled; None otherwise."""
    handlers = logger.handlers
    if len(handlers) != 1 or logger.propagate or logger.filters:
        return None
    handler = handlers[0]
    if (isinstance(handler, DirectHandler) and not handler.filters and level >= handler.level
            and logger.isEnabledFor(level)):
        return handler
    return None


class EventLogger:
    """`log.info("peer_connected", peer=…)`: an event name and key=value fields, nothing else."""

    def __init__(self, logger: logging.Logger):
        self._logger = logger

    def _log(self, level: int, event: str, exc_info=None, **fields) -> None:
        if exc_info is None and type(event) is str:
            handler = _direct(self._logger, level)
            if handler is not None:
                handler.event(level, event, fields)
                return
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
    library_handler = logging.StreamHandler(sys.stderr)
    library_handler.setFormatter(LibraryFormatter(node_name))
    from fakenet.node.log_budget import LogBudget  # here, not at the top: log_budget imports this module

    library_handler.addFilter(ClientsFaultBudget(LogBudget()))
    for name in LIBRARIES:
        library = logging.getLogger(name)
        library.handlers[:] = [library_handler]
        library.propagate = False
    return EventLogger(logger)


def get() -> EventLogger:
    return EventLogger(logging.getLogger(_LOGGER_NAME))
