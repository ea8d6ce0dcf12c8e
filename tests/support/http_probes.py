"""Raw-socket probes of the node's HTTP servers (h11_server for RPC, http_guard for the aiohttp
ports): both keep the same limits, so their tests ask the same questions."""

import asyncio
import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the server closed the connection before `seconds` passed (what it sent aside)."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return False
    return True


async def newcomer_refused_after_abandoned_requests(port: int, request: bytes, count: int) -> bool:
    """Connect, send `request` (its handler runs 0.8 s), hang up, `count` times; then whether a new
    connection from the same source is closed: the abandoned handlers must still fill its cap."""
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        writer.close()
    await asyncio.sleep(0.2)  # the handlers start (and then run 0.8 s): a state to reach, not a wait for one
    extra, _ = await asyncio.open_connection("127.0.0.1", port)
    return await closed_within(extra, 0.2)
