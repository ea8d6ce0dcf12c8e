"""The error middleware of the node's JSON HTTP APIs (7007, 5101, 9094): whatever goes wrong, the
client gets an answer in that API's own error shape, never aiohttp's plain-text page.

An API gives its shape (`answer`), the failures it expects as an ordered table (the first row whose
kinds match wins: its status, its message), and how an aiohttp HTTP error reads. Anything else is a
bug: it still answers in the API's shape (500), and leaves its traceback in the log.
"""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from fakenet.node import excerpt, logs

Answer = Callable[..., web.Response]  # (status, message, headers=None)
Failure = tuple[type | tuple[type, ...], int, Callable[[Exception], str]]  # (kinds, status, message)


def mapped(statuses: tuple[tuple[type, int], ...]) -> tuple[Failure, ...]:
    """The node's own errors, each to its status, its text the message."""
    return tuple((kind, status, str) for kind, status in statuses)


def middleware(answer: Answer, failures: tuple[Failure, ...], event: str, *, headers: tuple[str, ...] = ("Allow",),
               http_message: Callable[[web.HTTPException], str] = lambda exc: exc.reason):
    """`headers`: those of an aiohttp HTTP error the answer keeps; `event`: the log line of a bug."""
    log = logs.get()

    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect is an answer, not a failure
                raise
            return answer(exc.status, http_message(exc), {k: v for k, v in exc.headers.items() if k in headers})
        except Exception as exc:
            for kinds, status, message in failures:
                if isinstance(exc, kinds):
                    return answer(status, message(exc))
            log.error(event, path=request.path, exc_info=exc)
            return answer(500, f"internal error: {excerpt.clip(repr(exc))}")

    return errors
