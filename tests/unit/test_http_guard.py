"""S8: every HTTP port closes half-sent requests and idle connections, and caps its connections."""

import asyncio
import socket

from aiohttp import web

from fakenet.node.http_guard import HttpLimits, serve

LIMITS = HttpLimits(max_connections=3, idle_timeout=0.6, header_timeout=0.3, body_timeout=0.3)
REQUEST = b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


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


def scenario(body):
    async def slow(request):
        await request.read()
        await asyncio.sleep(0.8)  # longer than every timeout: a long poll must not be cut
        return web.json_response({"ok": True})

    async def run():
        app = web.Application()
        app.router.add_post("/slow", slow)
        port = free_port()
        runner, server = await serve(app, "127.0.0.1", port, LIMITS)
        try:
            return await body(port)
        finally:
            server.close()
            await runner.cleanup()

    return asyncio.run(run())


def test_half_sent_headers_and_bodies_and_idle_connections_are_closed():
    async def body(port):
        headers = await asyncio.open_connection("127.0.0.1", port)
        headers[1].write(b"POST /slow HTTP/1.1\r\nHost: x\r\n")
        half_body = await asyncio.open_connection("127.0.0.1", port)
        half_body[1].write(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        idle = await asyncio.open_connection("127.0.0.1", port)
        return await asyncio.gather(*(closed_within(r, 2.0) for r, _ in (headers, half_body, idle)))

    assert scenario(body) == [True, True, True]


def test_a_complete_request_may_take_longer_than_the_timeouts():
    async def body(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        return await asyncio.wait_for(reader.readuntil(b'{"ok": true}'), 3)

    assert scenario(body).startswith(b"HTTP/1.1 200")


def test_connections_past_the_cap_are_closed_at_once():
    async def body(port):
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(LIMITS.max_connections)]
        extra, _ = await asyncio.open_connection("127.0.0.1", port)
        refused_at_once = await closed_within(extra, 0.2)
        for _, writer in held:
            writer.close()
        return refused_at_once

    assert scenario(body) is True
