"""How the swarm reaches other nodes: TCP by default.

The swarm only ever asks a transport to listen, to resolve a host and to open a byte stream
(an asyncio StreamReader and a writer with write/drain/close/get_extra_info). The sim backend
passes its in-memory transport here instead, so the same swarm code runs with no sockets.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Awaitable, Callable, Protocol

from fakenet.node import framing

Accept = Callable[[asyncio.StreamReader, object], Awaitable[None]]
READ_LIMIT = framing.MAX_FRAME + 1024


class Transport(Protocol):
    async def listen(self, accept: Accept, host: str, port: int): ...

    async def resolve(self, host: str, port: int) -> str: ...

    async def open(self, host: str, port: int): ...


class Tcp:
    async def listen(self, accept: Accept, host: str, port: int, sock: socket.socket | None = None):
        """Start accepting (on `sock` if given, bound to host:port already); returns an object with close()."""
        if sock is not None:
            return await asyncio.start_server(accept, sock=sock, limit=READ_LIMIT)
        return await asyncio.start_server(accept, host, port, limit=READ_LIMIT)

    async def resolve(self, host: str, port: int) -> str:
        resolved = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return resolved[0][4][0]

    async def open(self, host: str, port: int):
        return await asyncio.open_connection(host, port, limit=READ_LIMIT)


TCP = Tcp()
