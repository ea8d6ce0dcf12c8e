"""aiohttp's ports (7007, 5011, 5101, 9094) under the node's read timeouts and connection caps
(http_limits.py), which aiohttp alone does not have: it waits forever for a request's headers and
body, so a client that sends half a request holds a connection for as long as it likes.

The guard sits between asyncio and aiohttp's protocol, plus one middleware that marks the moment
a request's headers are parsed; a connection refused by the caps is closed before aiohttp sees it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from fakenet.node import excerpt
from fakenet.node.http_limits import HttpLimits, PortGate, TimedConnection

__all__ = ["HttpGuard", "HttpLimits", "serve"]


class _ReadableErrors(RequestHandler):
    """aiohttp's protocol, answering a request it could not parse in words and readable text: its own
    answer quoted the request as Python's b'...' repr, a caret under it, the whole line echoed."""

    __slots__ = ()

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None):
        return super().handle_error(request, status, exc, None if message is None else excerpt.readable_message(message))


class _Connection(TimedConnection):
    """asyncio's protocol for one connection: passes everything to aiohttp's, under deadlines."""

    def __init__(self, guard: HttpGuard, inner: asyncio.Protocol):
        super().__init__(guard.gate)
        self.guard, self.inner = guard, inner
        self._body = None  # the request payload while a handler runs
        self._handling = False  # a handler runs: if the client hangs up, its slot is kept until it ends
        self._lost = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        if not self.gate.admit(self):
            transport.close()
            self.inner = None  # aiohttp never saw this connection
            return
        self.guard.open[self.inner] = self
        self.inner.connection_made(transport)
        self.arm("idle")

    def data_received(self, data: bytes) -> None:
        if self.state == "idle":
            self.arm("headers")
        self.inner.data_received(data)

    def eof_received(self):
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc) -> None:
        self._cancel()
        self._lost = True
        if self.inner is not None:
            if not self._handling:  # else at request_ended: aiohttp runs a handler on after its client left,
                self.gate.release(self)  # and connect-send-hang-up ran handlers that no cap counted
            self.guard.open.pop(self.inner, None)
            self.inner.connection_lost(exc)

    # -- the request's progress, from the middleware ---------------------------------------------

    def request_started(self, request: web.Request) -> None:
        self._body, self._handling = request.content, True
        self.arm("body" if request.body_exists and not request.content.is_eof() else "busy")

    def request_ended(self) -> None:
        self._body, self._handling = None, False
        if self._lost:
            self.gate.release(self)
            return
        self.arm("idle")

    def expired(self, state: str) -> None:
        if state == "body" and self._body is not None and self._body.is_eof():
            self.arm("busy")  # the body arrived in time; the handler may run on
            return
        super().expired(state)


class HttpGuard:
    """One aiohttp port's gate, and the middleware its app needs to tell the gate a request's progress."""

    def __init__(self, port: int, limits: HttpLimits = HttpLimits()):
        self.gate = PortGate(port, limits)
        self.open: dict[asyncio.Protocol, _Connection] = {}  # aiohttp's protocol -> ours

    def protocol_factory(self, make_inner):
        return lambda: _Connection(self, _readable_errors(make_inner()))

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        conn = self.open.get(request.protocol)
        if conn is None:
            return await handler(request)
        conn.request_started(request)
        try:
            return await handler(request)
        finally:
            conn.request_ended()


def _readable_errors(handler: RequestHandler) -> RequestHandler:
    # aiohttp's Server makes the RequestHandler itself, with no seam for another class; the subclass adds
    # no state (__slots__ = ()), so the handler aiohttp made becomes one.
    if type(handler) is RequestHandler:
        handler.__class__ = _ReadableErrors
    return handler


async def serve(app: web.Application, host: str, port: int, limits: HttpLimits = HttpLimits(), *,
                sock=None):
    """Start `app` on host:port (or on `sock`, already listening) behind a guard; returns (runner, server)
    to close at shutdown."""
    guard = HttpGuard(port, limits)
    app.middlewares.insert(0, guard.middleware)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    where = {"sock": sock} if sock is not None else {"host": host, "port": port}
    server = await asyncio.get_running_loop().create_server(guard.protocol_factory(runner.server), **where)
    return runner, server
