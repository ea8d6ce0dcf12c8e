"""A small HTTP/1.1 server: h11 parses, asyncio carries, an `Endpoint` answers; for the JSON-RPC port.

Why not aiohttp, which serves the node's other ports: the RPC is what a node serves first (every
readiness check asks it), and importing aiohttp is most of a node's start-up CPU (BENCHMARKS.md);
h11 is one small pure-Python module. The rest of the node loads once the RPC answers.

What it keeps from the aiohttp server it replaces: keep-alive (h11 decides it from the version
and Connection headers), a body limit (413, before the body is read when Content-Length says
so), the deadlines and connection caps of every HTTP port (http_limits.py), a request that
breaks HTTP answered 400 and its connection closed, and each request handled in a task of its
own (so a per-request context variable, caller.py's, is the request's alone). Requests on one
connection are answered in order, one at a time (pipelined ones wait in h11's buffer).

An Endpoint sees the request head first (`refuse`: an answer without reading the body, e.g.
401), then the whole body (`answer`), with a Hangup: called, whether the client has gone; awaited
(`wait()`), until it has, so a handler that holds its answer need not outlive its client.
"""

from __future__ import annotations

import asyncio
from types import MappingProxyType
from typing import Awaitable, Callable, Mapping, NamedTuple, Protocol

import h11

from fakenet.node import excerpt, logs
from fakenet.node.http_limits import HttpLimits, PortGate, TimedConnection

SERVER = b"fakenet"
PIPELINE_LIMIT = 1024 * 1024  # bytes a client may send ahead while its request is being answered


class Head(NamedTuple):
    """A request's line and headers and its client's address, as an Endpoint sees them before the body."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    remote: str


class Answer(NamedTuple):
    """What an Endpoint answers: status, body and extra headers."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = MappingProxyType({})  # shared by every Answer without headers: read-only


class Endpoint(Protocol):
    max_body: int

    def refuse(self, head: Head) -> Answer | None: ...

    def answer(self, head: Head, body: bytes, gone: Callable[[], bool]) -> Awaitable[Answer]: ...


class Hangup:
    """Whether a connection's client has gone: call it to ask, await `wait()` to hear it."""

    def __init__(self, connection: "_Connection"):
        self._connection = connection
        self._event = asyncio.Event()

    def __call__(self) -> bool:
        return self._connection.gone()

    def lost(self) -> None:
        self._event.set()

    def is_lost(self) -> bool:
        """Whether the connection has ended (connection_lost), not only begun to close."""
        return self._event.is_set()

    async def wait(self) -> None:
        if not self():
            await self._event.wait()


def too_large(limit: int) -> Answer:
    return Answer(413, f"request body is over the limit of {limit} bytes".encode(), {"Content-Type": "text/plain"})


class _Connection(TimedConnection):
    def __init__(self, gate: PortGate, endpoint: Endpoint):
        super().__init__(gate)
        self.endpoint = endpoint
        self.h11 = h11.Connection(h11.SERVER)
        self.head: Head | None = None
        self.body = bytearray()
        self.task: asyncio.Task | None = None
        self.refusal: Answer | None = None  # the answer to a request refused on its head, sent once it has ended
        self.admitted = False
        self.hangup = Hangup(self)

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.admitted = self.gate.admit(self)
        if not self.admitted:
            transport.close()
            return
        self.arm("idle")

    def connection_lost(self, exc) -> None:
        self._cancel()
        self.hangup.lost()
        if self.admitted and self.task is None:
            self.gate.release(self)
        # else the slot is released when the handler ends (_handle): a request whose client hung up
        # still runs, and counted for nothing, connect-send-hang-up piled up handlers past every cap

    def data_received(self, data: bytes) -> None:
        if self.state == "idle":
            self.arm("headers")
        self.h11.receive_data(data)
        if self.task is not None and len(self.h11.trailing_data[0]) > PIPELINE_LIMIT:
            self.transport.close()  # requests piling up behind one still running: a flood, not a client
            return
        self._next_events()

    def eof_received(self):
        self.h11.receive_data(b"")
        self._next_events(ended=True)
        return None  # close the transport: a long method sees its client gone

    def gone(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def _next_events(self, ended: bool = False) -> None:
        """Parse what has arrived, as far as the request under way allows; `ended`: the client has sent all
        it will (a request it left half-sent is not logged: a client stopped mid-way, not a bad request)."""
        try:
            while self.task is None and not self.gone():
                event = self.h11.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return
                self._on(event)
        except h11.RemoteProtocolError as exc:
            reason = excerpt.readable_message(str(exc))  # h11 quotes the line as bytearray(b'...')
            if not ended:
                self.gate.bad_request(self, reason)
            self._send(Answer(exc.error_status_hint, f"bad request: {reason}".encode(), {"Content-Type": "text/plain"}),
                       close=True)

    def _on(self, event) -> None:
        if isinstance(event, h11.Request):
            self._on_head(event)
        elif isinstance(event, h11.Data):
            self.body += event.data
            if len(self.body) > self.endpoint.max_body:
                self._send(too_large(self.endpoint.max_body), close=True)
        elif isinstance(event, h11.EndOfMessage) and self.refusal is not None:
            refusal, self.refusal = self.refusal, None
            self._send(refusal)
        elif isinstance(event, h11.EndOfMessage):
            self.arm("busy")
            self.task = asyncio.get_running_loop().create_task(self._handle(self.head, bytes(self.body)))
        elif isinstance(event, h11.ConnectionClosed):
            self.transport.close()

    def _on_head(self, request: h11.Request) -> None:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in request.headers}
        peer = self.transport.get_extra_info("peername")
        self.head = Head(request.method.decode("latin-1"), request.target.decode("latin-1"), headers,
                         str(peer[0]) if peer else "?")
        self.body = bytearray()
        self.arm("body")
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.endpoint.max_body:
            self._send(too_large(self.endpoint.max_body), close=True)
            return
        self.refusal = self.endpoint.refuse(self.head)
        if self.refusal is not None and (length not in (None, "0") or "transfer-encoding" in headers):
            # Answered without reading the body on its way, which leaves the connection unusable.
            self._send(self.refusal, close=True)

    async def _handle(self, head: Head, body: bytes) -> None:
        try:
            answer = await self.endpoint.answer(head, body, self.hangup)
        except Exception as exc:  # a bug answers 500 and is logged; the connection goes on
            logs.get().error("http_handler_failed", target=head.target, exc_info=exc)
            answer = Answer(500, b"internal error", {"Content-Type": "text/plain"})
        self.task = None
        if self.hangup.is_lost():
            if self.admitted:
                self.gate.release(self)
        elif not self.gone():
            self._send(answer)
            self._next_events()

    def _send(self, answer: Answer, close: bool = False) -> None:
        headers = [("Server", SERVER), ("Content-Length", str(len(answer.body))), *answer.headers.items()]
        if close:
            headers.append(("Connection", "close"))
        try:
            data = self.h11.send(h11.Response(status_code=answer.status, headers=headers))
            data += self.h11.send(h11.Data(data=answer.body)) + self.h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError:  # no response possible in this state (e.g. after a 100-continue mix-up)
            self.transport.close()
            return
        self.transport.write(data)
        if close or self.h11.our_state is h11.MUST_CLOSE or self.h11.their_state is not h11.DONE:
            self.transport.close()
            return
        self.h11.start_next_cycle()
        self.arm("idle")


async def serve(endpoint: Endpoint, host: str | None = None, port: int | None = None, *, sock=None,
                limits: HttpLimits = HttpLimits()) -> asyncio.AbstractServer:
    """Serve `endpoint` on host:port (or on `sock`, already listening) under the port's limits."""
    gate = PortGate(port or sock.getsockname()[1], limits)
    where = {"sock": sock} if sock is not None else {"host": host, "port": port}
    return await asyncio.get_running_loop().create_server(lambda: _Connection(gate, endpoint), **where)
