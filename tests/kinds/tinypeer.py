"""A tiny peer: a node kind nobody on the fakenet team's node shares code with, for the harness's tests.

It keeps an identity (a random hex id in `<datadir>/id`, made on first start), dials the peers in
TINY_PEERS (host names or IPs, all on TINY_SWARM_PORT), says `HELLO <id>` and keeps every link
alive with a heartbeat; a link silent for a second is dropped. JSON-RPC over HTTP on TINY_RPC_PORT
with basic auth answers `identity`, `peers` (ids of connected peers) and `setlinks` (ids to cut:
links to them are closed and refused). Run: python tinypeer.py (settings from the environment);
or in the harness's process on the sim backend: InProcessPeer (over the transport it is given).
"""

import asyncio
import base64
import json
import os
import secrets
from pathlib import Path

from aiohttp import web
from tenacity import AsyncRetrying, retry_if_exception_type, wait_fixed

SILENCE = 1.0
BEAT = 0.2


class LinkEnded(Exception):
    """A link this node dialled closed: dial again."""


class Tcp:
    """Sockets; the sim backend hands an in-memory transport of the same shape instead."""

    async def listen(self, accept, host, port):
        return await asyncio.start_server(accept, host, port)

    async def open(self, host, port):
        return await asyncio.open_connection(host, port)


class Peer:
    def __init__(self, environ=os.environ, transport=Tcp()):
        self.transport, self.stopped = transport, asyncio.Event()
        self.datadir = Path(environ["TINY_DATADIR"])
        self.datadir.mkdir(parents=True, exist_ok=True)
        id_file = self.datadir / "id"
        if not id_file.exists():
            id_file.write_text(secrets.token_hex(8))
        self.id = id_file.read_text().strip()
        self.bind = environ["TINY_BIND"]
        self.port = int(environ["TINY_SWARM_PORT"])
        self.peers = environ.get("TINY_PEERS", "").split()
        self.links: dict[str, asyncio.StreamWriter] = {}  # peer id -> its connection
        self.blocked: set[str] = set()

    async def serve(self):
        server = await self.transport.listen(self.accepted, self.bind, self.port)
        for host in self.peers:
            asyncio.ensure_future(self.dial_forever(host))
        await self.stopped.wait()
        server.close()

    async def dial_forever(self, host):
        """Redial 0.2 s after every failed dial or ended link, for as long as the node runs."""
        async for attempt in AsyncRetrying(wait=wait_fixed(0.2), retry=retry_if_exception_type(
                (OSError, asyncio.TimeoutError, LinkEnded))):
            with attempt:
                reader, writer = await asyncio.wait_for(self.transport.open(host, self.port), 0.5)
                await self.talk(reader, writer, dialled=True)
                raise LinkEnded

    async def accepted(self, reader, writer):
        try:
            await self.talk(reader, writer, dialled=False)
        except (OSError, asyncio.TimeoutError):
            pass

    async def talk(self, reader, writer, dialled):
        """One link per pair: of the two connections two peers may open, the one dialled by the
        smaller id is kept (both ends apply the same rule)."""
        writer.write(f"HELLO {self.id}\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), SILENCE)
        words = line.decode(errors="replace").split()
        if len(words) != 2 or words[0] != "HELLO" or words[1] in self.blocked or words[1] in self.links:
            writer.close()
            return
        dialler = self.id if dialled else words[1]
        if dialler != min(self.id, words[1]):
            writer.close()
            return
        other = words[1]
        self.links[other] = writer
        beat = asyncio.ensure_future(self.heartbeat(writer))
        try:
            while other not in self.blocked:
                if not await asyncio.wait_for(reader.readline(), SILENCE):
                    break
        finally:
            beat.cancel()
            if self.links.get(other) is writer:
                del self.links[other]
            writer.close()

    async def heartbeat(self, writer):
        while True:
            writer.write(b"BEAT\n")
            await writer.drain()
            await asyncio.sleep(BEAT)

    def set_links(self, blocked):
        self.blocked = set(blocked)
        for other in self.blocked & set(self.links):
            self.links.pop(other).close()
        return sorted(self.blocked)


def answer(peer: Peer, request: bytes) -> dict:
    """One JSON-RPC request body -> the reply body."""
    methods = {"identity": lambda: peer.id, "peers": lambda: sorted(peer.links), "setlinks": peer.set_links}
    try:
        call = json.loads(request)
        return {"id": call.get("id"), "result": methods[call["method"]](*call.get("params", [])), "error": None}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return {"id": None, "result": None, "error": {"code": -32600, "message": repr(exc)}}


def rpc_app(peer: Peer) -> web.Application:
    expected = "Basic " + base64.b64encode(f"{os.environ['TINY_RPC_USER']}:{os.environ['TINY_RPC_PASSWORD']}".encode()).decode()

    async def handle(request):
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401)
        return web.json_response(answer(peer, await request.read()))

    app = web.Application()
    app.router.add_post("/", handle)
    return app


class InProcessPeer:
    """The peer as the sim backend runs it (fakenet.kinds.InProcessNode's methods): no sockets, no HTTP."""

    def __init__(self, environ, transport):
        self.environ, self.transport, self.peer = environ, transport, None

    async def run(self):
        self.peer = Peer(self.environ, self.transport)
        await self.peer.serve()

    def request_stop(self):
        if self.peer is not None:
            self.peer.stopped.set()

    def answering(self):
        return self.peer is not None

    async def call(self, request):
        return answer(self.peer, request)

    def halt(self):
        pass

    def close_files(self):
        pass


async def main():
    peer = Peer()
    runner = web.AppRunner(rpc_app(peer))
    await runner.setup()
    await web.TCPSite(runner, peer.bind, int(os.environ["TINY_RPC_PORT"])).start()
    print(f"tinypeer {peer.id} on {peer.bind}, peers {peer.peers}", flush=True)
    await peer.serve()


if __name__ == "__main__":
    asyncio.run(main())
