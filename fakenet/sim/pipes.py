"""The in-memory wire: byte pipes between nodes, with the link rules a packet filter would apply.

Each node gets a `SimTransport` (the swarm's transport seam, see fakenet/node/transport.py) bound
to its host name. Opening a connection hands the listener an asyncio StreamReader and a writer,
as TCP would; a cut link drops every byte both ways and lets a dial hang until the dialler's own
timeout, as iptables DROP does; a node that dies has all its pipes closed, as the kernel closes a
killed process's sockets. Delay and loss are left to the node's link filter (connection.py), which
applies them per frame and seeded, exactly as on the other backends.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from dataclasses import dataclass, field

from fakenet.node.transport import READ_LIMIT


class _Reader(asyncio.StreamReader):
    """A pipe's reading end: a StreamReader (a node kind may use any of its methods), fed only by
    the other end's writes, never by a transport. The two methods every frame passes through do
    what StreamReader's do, less what only a transport needs (pausing and resuming it) and with
    their helpers inline: three of the five Python calls of reading a frame once it is written."""

    def feed_data(self, data: bytes) -> None:
        assert not self._eof, "feed_data after feed_eof"
        if not data:
            return
        self._buffer.extend(data)
        waiter = self._waiter  # _wakeup_waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.cancelled():
                waiter.set_result(None)

    async def readexactly(self, n: int) -> bytes:
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        buffer = self._buffer
        while len(buffer) < n:
            if self._eof:
                incomplete = bytes(buffer)
                buffer.clear()
                raise asyncio.IncompleteReadError(incomplete, n)
            if self._waiter is not None:  # _wait_for_data
                raise RuntimeError("readexactly() called while another coroutine is already waiting for incoming data")
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if len(buffer) == n:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:n])
            del buffer[:n]
        return data


class _Writer:
    """One end's writer: what it writes lands in the other end's reader, unless the link is cut."""

    def __init__(self, wire: "Wire", pipe: "_Pipe", src: str, dst: str, sock: tuple, peer: tuple):
        self._wire, self._pipe, self._src, self._dst = wire, pipe, src, dst
        self._extra = {"sockname": sock, "peername": peer}
        self.peer_reader: asyncio.StreamReader | None = None

    def write(self, data: bytes) -> None:
        if self._pipe.closed:
            return
        blocked = self._wire._blocked  # Wire.is_cut, inline: every frame of the simulation passes here
        if self._dst in blocked.get(self._src, ()) or self._src in blocked.get(self._dst, ()):
            return
        self.peer_reader.feed_data(data)

    async def drain(self) -> None:
        if self._pipe.closed:
            raise ConnectionResetError("connection lost")

    def close(self) -> None:
        self._pipe.close()

    def is_closing(self) -> bool:
        return self._pipe.closed

    async def wait_closed(self) -> None:
        return None

    def get_extra_info(self, name: str, default=None):
        return self._extra.get(name, default)


@dataclass(eq=False)
class _Pipe:
    ends: tuple[str, str]
    readers: list = field(default_factory=list)
    closed: bool = False
    on_close: object = None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for reader in self.readers:
                reader.feed_eof()  # both ends read EOF, as after a FIN or the local close
            self.on_close(self)


class Wire:
    """Every listener, open pipe and cut link of one simulation."""

    def __init__(self):
        self._listeners: dict[str, tuple] = {}  # host -> (accept, the listening node's context)
        # host -> its open pipes (either end), insertion-ordered: teardown order is the same every
        # run, and a dying host finds its own pipes without scanning everyone's.
        self._pipes: dict[str, dict[_Pipe, None]] = {}
        self._blocked: dict[str, frozenset[str]] = {}  # host -> peers its filter cuts off
        self._ports = itertools.count(40000)

    def transport(self, host: str) -> "SimTransport":
        return SimTransport(self, host)

    # -- link rules ------------------------------------------------------------------------------

    def is_cut(self, src: str, dst: str) -> bool:
        """A host's filter drops traffic with its blocked peers both ways, as the node's own filter does."""
        return dst in self._blocked.get(src, ()) or src in self._blocked.get(dst, ())

    def set_blocked(self, host: str, blocked) -> None:
        self._blocked[host] = frozenset(blocked)

    # -- lifecycle -------------------------------------------------------------------------------

    def listen(self, host: str, accept) -> None:
        self._listeners[host] = (accept, contextvars.copy_context())

    def unlisten(self, host: str) -> None:
        self._listeners.pop(host, None)

    def drop(self, host: str) -> None:
        """A node died: stop listening and close every pipe it had (peers read EOF)."""
        self.unlisten(host)
        for pipe in list(self._pipes.get(host, ())):
            pipe.close()

    def _forget(self, pipe: _Pipe) -> None:
        for end in pipe.ends:
            self._pipes.get(end, {}).pop(pipe, None)

    async def connect(self, src: str, dst: str, port: int):
        if dst not in self._listeners:
            raise ConnectionRefusedError(f"{dst}:{port} is not listening")
        if self.is_cut(src, dst):
            await asyncio.Future()  # a dropped SYN: the dialler's connect timeout ends this
        accept, context = self._listeners[dst]
        pipe = _Pipe((src, dst), on_close=self._forget)
        for end in pipe.ends:
            self._pipes.setdefault(end, {})[pipe] = None
        ours, theirs = (src, next(self._ports)), (dst, port)
        near, far = _Reader(limit=READ_LIMIT), _Reader(limit=READ_LIMIT)
        out, back = _Writer(self, pipe, src, dst, ours, theirs), _Writer(self, pipe, dst, src, theirs, ours)
        out.peer_reader, back.peer_reader = far, near
        pipe.readers = [near, far]
        asyncio.get_running_loop().create_task(accept(far, back), context=context.copy())
        return near, out


class _Listening:
    def __init__(self, wire: Wire, host: str):
        self._wire, self._host = wire, host

    def close(self) -> None:
        self._wire.unlisten(self._host)


class SimTransport:
    """The swarm's transport for one node: its host name is its address on the wire."""

    def __init__(self, wire: Wire, host: str):
        self._wire, self.host = wire, host

    async def listen(self, accept, host: str, port: int):
        self._wire.listen(self.host, accept)
        return _Listening(self._wire, self.host)

    async def resolve(self, host: str, port: int) -> str:
        return host

    async def open(self, host: str, port: int):
        return await self._wire.connect(self.host, host, port)
