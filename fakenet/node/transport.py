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
from fakenet.node.early import family

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
        """An address as it is (a local network's peers): no worker thread for getaddrinfo. A name
        through getaddrinfo (a container network's peers), as its ASCII bytes when the idna codec
        would give just those (_plain_name): for a str, getaddrinfo encodes with that codec, whose
        first use imports encodings.idna and stringprep, which nothing else in a node imports: ~1 ms
        of CPU while the node meshes (measured here and in the image)."""
        if family(host) is not None:
            return host
        plain = _plain_name(host)
        resolved = await asyncio.get_running_loop().getaddrinfo(host if plain is None else plain, port,
                                                                 type=socket.SOCK_STREAM)
        return resolved[0][4][0]

    async def open(self, host: str, port: int):
        return await asyncio.open_connection(host, port, limit=READ_LIMIT)


def _plain_name(host: str) -> bytes | None:
    """`host` as the idna codec encodes an ASCII name (its bytes; the codec checks only that each
    label is 1-63 characters, the last one 0-63); None for any other name, left to the codec."""
    if not host.isascii():
        return None
    *labels, last = host.split(".")
    return host.encode() if all(0 < len(label) < 64 for label in labels) and len(last) < 64 else None


TCP = Tcp()
