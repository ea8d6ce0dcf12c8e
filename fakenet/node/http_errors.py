"""The error middleware of the node's JSON HTTP APIs (7007, 5101, 9094): whatever goes wrong, the
client gets an answer in that API's own error shape, never aiohttp's plain-text page.

An API gives its shape (`answer`), the failures it expects as an ordered table (the first row whose
kinds match wins: its status, its message), and how an aiohttp HTTP error reads. Anything else is a
bug: it still answers in the API's shape (500), and leaves its traceback in the log. A client that
hung up mid-request is not a bug of ours (`client_gone`): a line within a budget, no traceback.
"""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from fakenet.node import excerpt, logs
from fakenet.node.log_budget import LogBudget

Answer = Callable[..., web.Response]  # (status, message, headers=None)
Failure = tuple[type | tuple[type, ...], int, Callable[[Exception], str]]  # (kinds, status, message)
CLIENT_GONE = 499  # nginx's "client closed request": no one reads it, and it is not a 5xx of ours
_CLOSED = "Connection closed."  # aiohttp's StreamReader._wait, for a read begun after the connection closed


def client_gone(request: web.Request, exc: Exception) -> bool:
    """Whether `exc` only says that the request's client hung up. What aiohttp 3.14 raises into a handler
    then: for a body cut off mid-read, the ConnectionResetError("Connection lost") its connection_lost
    sets on the body, or RuntimeError("Connection closed.") for a read begun after; for a write,
    ClientConnectionResetError (a ConnectionResetError). Only once this request's own connection is
    closed: the same errors from a connection of ours (a peer, a backend) are still our failure."""
    if request.transport is not None:
        return False
    return isinstance(exc, ConnectionResetError) or (type(exc) is RuntimeError and str(exc) == _CLOSED)


def mapped(statuses: tuple[tuple[type, int], ...]) -> tuple[Failure, ...]:
    """The node's own errors, each to its status, its text the message."""
    return tuple((kind, status, str) for kind, status in statuses)


def middleware(answer: Answer, failures: tuple[Failure, ...], event: str, *, headers: tuple[str, ...] = ("Allow",),
               http_message: Callable[[web.HTTPException], str] = lambda exc: exc.reason):
    """`headers`: those of an aiohttp HTTP error the answer keeps; `event`: the log line of a bug."""
    log = logs.get()
    budget = LogBudget()  # anyone can connect, send half a body and hang up: a flood writes a few lines

    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect is an answer, not a failure
                raise
            return answer(exc.status, http_message(exc), {k: v for k, v in exc.headers.items() if k in headers})
        except Exception as exc:
            if client_gone(request, exc):
                budget.info("http_client_gone", path=request.path, error=excerpt.clip(repr(exc)))
                return answer(CLIENT_GONE, "the client closed the connection")
            for kinds, status, message in failures:
                if isinstance(exc, kinds):
                    return answer(status, message(exc))
            log.error(event, path=request.path, exc_info=exc)
            return answer(500, f"internal error: {excerpt.clip(repr(exc))}")

    return errors
