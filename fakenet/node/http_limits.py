"""The deadlines and connection caps every HTTP port of the node keeps, whichever server parses it.

Each connection is in one of four states, each but the last with a deadline after which it is
closed:

    idle      no request under way        IDLE_TIMEOUT   (bitcoin-core's -rpcservertimeout is 30 s)
    headers   bytes arrived, no request   HEADER_TIMEOUT (the whole header block must arrive by then)
    body      headers in, body arriving   BODY_TIMEOUT   (a long poll with its body read runs on)
    busy      a handler runs              none

A port holds at most `max_connections`, one source address at most `per_source` of them; a
newcomer over either cap evicts the oldest waiting connection (admission.py says why), and is
closed at once only when every connection is busy. Refusals and evictions are logged within a
budget (log_budget.py).

Two servers use this: aiohttp's, wrapped by http_guard.py (7007, 5011, 5101, 9094), and the
h11 server of the JSON-RPC (h11_server.py), which answers before aiohttp is even imported.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

from fakenet.node import logs
from fakenet.node.admission import Admission, Limits
from fakenet.node.log_budget import LogBudget


class HttpLimits(NamedTuple):
    """The connection cap and deadlines of an HTTP port."""

    max_connections: int = 256
    idle_timeout: float = 30.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0

    @property
    def admission(self) -> Limits:
        return Limits.with_reserve(self.max_connections)


class TimedConnection(asyncio.Protocol):
    """One connection's state and deadline; subclasses say what a state change means for parsing."""

    def __init__(self, gate: PortGate):
        self.gate = gate
        self.transport: asyncio.Transport | None = None
        self.state = "idle"
        self._timer: asyncio.TimerHandle | None = None

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

    def arm(self, state: str) -> None:
        """Enter `state`, with its deadline (none while busy)."""
        self._cancel()
        self.state = state
        timeout = self.gate.timeout(state)
        if timeout is not None:
            self._timer = asyncio.get_running_loop().call_later(timeout, self.expired, state)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def expired(self, state: str) -> None:
        self.gate.timed_out(state)
        if self.transport is not None:
            self.transport.close()


class PortGate:
    """The open connections of one port, under its caps."""

    def __init__(self, port: int, limits: HttpLimits = HttpLimits()):
        self.port, self.limits = port, limits
        self._admission: Admission[TimedConnection] = Admission(limits.admission, lambda conn: conn.waiting)
        self._log = logs.get()
        self._budget = LogBudget()
        self.refused = self.evicted = 0

    def __len__(self) -> int:
        return len(self._admission)

    def timeout(self, state: str) -> float | None:
        return {"idle": self.limits.idle_timeout, "headers": self.limits.header_timeout,
                "body": self.limits.body_timeout}.get(state)

    def admit(self, conn: TimedConnection) -> bool:
        """Whether `conn` may stay open; admitting it may evict (close) an older waiting one."""
        verdict = self._admission.admit(conn, conn.source)
        if not verdict.admitted:
            self.refused += 1
            self._budget.warning("http_connection_refused", port=self.port, open=len(self),
                                 refused=self.refused, reason=verdict.reason)
            return False
        if verdict.evict is not None:
            self.evicted += 1
            self._budget.warning("http_connection_evicted", port=self.port, evicted=self.evicted,
                                 reason=verdict.reason)
            verdict.evict.evict()
        return True

    def bad_request(self, conn: TimedConnection, reason: str) -> None:
        """A request that broke HTTP (anyone can send one): a line within the budget, its reason readable."""
        self._budget.warning("http_bad_request", port=self.port, remote=conn.source, reason=reason)

    def release(self, conn: TimedConnection) -> None:
        self._admission.release(conn)

    def timed_out(self, state: str) -> None:
        self._log.debug("http_connection_timed_out", port=self.port, waiting_for=state)
