"""Read timeouts and a connection cap for the node's HTTP ports, which aiohttp alone does not have.

aiohttp waits forever for a request's headers and body, so a client that sends half a request
holds a connection (and its buffers) for as long as it likes; hundreds of them exhaust the node.
Each connection here is in one of three states, each with a deadline after which it is closed:

    idle      no request under way        IDLE_TIMEOUT   (bitcoin-core's -rpcservertimeout is 30 s)
    headers   bytes arrived, no request   HEADER_TIMEOUT (the whole header block must arrive by then)
    body      a handler runs              BODY_TIMEOUT   (only while the body is still incomplete:
                                                          a long poll with its body read runs on)

A port holds at most `max_connections`, one source address at most `per_source` of them. A
connection over either cap makes room by evicting the oldest connection that is waiting (idle,
or its request not fully arrived: admission.py says why this, and not refusing the newcomer);
only when every connection is busy running a handler is the newcomer closed, before aiohttp sees
it. Refusals and evictions are logged within a budget (log_budget.py). The guard sits between
asyncio and aiohttp's protocol, plus one middleware that marks the moment a request's headers
are parsed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from fakenet.node import logs
from fakenet.node.admission import Admission, Limits
from fakenet.node.log_budget import LogBudget


@dataclass(frozen=True)
class HttpLimits:
    max_connections: int = 256
    idle_timeout: float = 30.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0

    @property
    def admission(self) -> Limits:
        return Limits.with_reserve(self.max_connections)


class _Connection(asyncio.Protocol):
    """asyncio's protocol for one connection: passes everything to aiohttp's, under deadlines."""

    def __init__(self, guard: HttpGuard, inner: asyncio.Protocol):
        self.guard, self.inner = guard, inner
        self.transport: asyncio.Transport | None = None
        self.state = "idle"
        self._timer: asyncio.TimerHandle | None = None
        self._body = None  # the request payload while a handler runs

    def connection_made(self, transport) -> None:
        self.transport = transport
        if not self.guard.admit(self):
            transport.close()
            self.inner = None  # aiohttp never saw this connection
            return
        self.inner.connection_made(transport)
        self._arm("idle", self.guard.limits.idle_timeout)

    @property
    def source(self) -> str:
        peer = self.transport.get_extra_info("peername") if self.transport else None
        return str(peer[0]) if peer else "?"

    @property
    def waiting(self) -> bool:
        """Idle, or its request has not fully arrived: nothing acknowledged is lost by closing it."""
        return self.state != "busy"

    def evict(self) -> None:
        self._cancel()
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.state == "idle":
            self._arm("headers", self.guard.limits.header_timeout)
        self.inner.data_received(data)

    def eof_received(self):
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc) -> None:
        self._cancel()
        if self.inner is not None:
            self.guard.release(self)
            self.inner.connection_lost(exc)

    # -- the request's progress, from the middleware ---------------------------------------------

    def request_started(self, request: web.Request) -> None:
        self._body = request.content
        if request.body_exists and not request.content.is_eof():
            self._arm("body", self.guard.limits.body_timeout)
        else:
            self._arm("busy", None)

    def request_ended(self) -> None:
        self._body = None
        self._arm("idle", self.guard.limits.idle_timeout)

    def _arm(self, state: str, timeout: float | None) -> None:
        self._cancel()
        self.state = state
        if timeout is not None:
            self._timer = asyncio.get_running_loop().call_later(timeout, self._expired, state)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self, state: str) -> None:
        if state == "body" and self._body is not None and self._body.is_eof():
            self._arm("busy", None)  # the body arrived in time; the handler may run on
            return
        self.guard.timed_out(state)
        if self.transport is not None:
            self.transport.close()


class HttpGuard:
    """The limits of one port: its open connections, and the middleware its app needs."""

    def __init__(self, port: int, limits: HttpLimits = HttpLimits()):
        self.port, self.limits = port, limits
        self._open: dict[asyncio.Protocol, _Connection] = {}  # aiohttp's protocol -> ours
        self._admission: Admission[_Connection] = Admission(limits.admission, lambda conn: conn.waiting)
        self._log = logs.get()
        self._budget = LogBudget()
        self.refused = self.evicted = 0

    def protocol_factory(self, make_inner):
        return lambda: _Connection(self, make_inner())

    def admit(self, conn: _Connection) -> bool:
        verdict = self._admission.admit(conn, conn.source)
        if not verdict.admitted:
            self.refused += 1
            self._budget.warning("http_connection_refused", port=self.port, open=len(self._open),
                                 refused=self.refused, reason=verdict.reason)
            return False
        if verdict.evict is not None:
            self.evicted += 1
            self._budget.warning("http_connection_evicted", port=self.port, evicted=self.evicted,
                                 reason=verdict.reason)
            self._open.pop(verdict.evict.inner, None)
            verdict.evict.evict()
        self._open[conn.inner] = conn
        return True

    def release(self, conn: _Connection) -> None:
        self._admission.release(conn)
        self._open.pop(conn.inner, None)

    def timed_out(self, state: str) -> None:
        self._log.debug("http_connection_timed_out", port=self.port, waiting_for=state)

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        conn = self._open.get(request.protocol)
        if conn is None:
            return await handler(request)
        conn.request_started(request)
        try:
            return await handler(request)
        finally:
            conn.request_ended()


async def serve(app: web.Application, host: str, port: int, limits: HttpLimits = HttpLimits()):
    """Start `app` on host:port behind a guard; returns (runner, server) to close at shutdown."""
    guard = HttpGuard(port, limits)
    app.middlewares.insert(0, guard.middleware)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    server = await asyncio.get_running_loop().create_server(guard.protocol_factory(runner.server), host, port)
    return runner, server
