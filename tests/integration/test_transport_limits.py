"""Issue 24, the transport half, on real node processes: what anyone on the path or anyone who can
reach a port can do without credentials (tamper with swarm frames, hold connections, flood refused
hellos, write through a browser), and what a client with credentials can no longer do to the RPC."""

from __future__ import annotations

import asyncio
import json
import os
import signal

from fakenet.fuzz.peer import RoguePeer
from fakenet.harness import local
from fakenet.harness.waits import wait_for
from fakenet.node.settings import SWARM_PORT

DIALER_HANDSHAKE_FRAMES = 3  # hello, auth, ready: what a dialer sends before its first message


class FlippingRelay:
    """A man in the middle between a dialer and a node: forwards both ways, cutting the dialer's
    byte stream at frame boundaries (every frame, plain or sealed, starts with its 4-byte length),
    and flips one byte of one chosen frame."""

    def __init__(self, target: tuple[str, int], frame_index: int, offset: int):
        self.target, self.frame_index, self.offset = target, frame_index, offset
        self.flipped = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, client_reader, client_writer) -> None:
        node_reader, node_writer = await asyncio.open_connection(*self.target)
        back = asyncio.create_task(self._pipe(node_reader, client_writer))
        try:
            index = 0
            while True:
                prefix = await client_reader.readexactly(4)
                frame = bytearray(prefix + await client_reader.readexactly(int.from_bytes(prefix, "big")))
                if index == self.frame_index:
                    frame[self.offset] ^= 0x01
                    self.flipped.set()
                node_writer.write(bytes(frame))
                await node_writer.drain()
                index += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            node_writer.close()
            await asyncio.gather(back, return_exceptions=True)

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def close(self) -> None:
        self.server.close()


async def answers_after_tampering(node, stream_id: str) -> str:
    """Send a stream query whose qid the relay changes from a… to `a… on the wire; return what the
    node did: "answered <qid>" or "closed"."""
    qid = "a" * 16
    query = {"t": "sq", "qid": qid, "stream": stream_id, "hops": 1}
    offset = 4 + json.dumps(query, separators=(",", ":")).encode().index(qid.encode())  # past the length
    relay = FlippingRelay((node.ip, SWARM_PORT), DIALER_HANDSHAKE_FRAMES, offset)
    port = await relay.start()
    try:
        rogue = await RoguePeer.connect("127.0.0.1", port)
        await rogue.send(query)
        try:
            answer = await rogue.receive("sr", timeout=5)
        except (asyncio.IncompleteReadError, ConnectionError):
            return "closed"
        finally:
            rogue.close()
        assert relay.flipped.is_set()
        return f"answered {answer['qid']}"
    finally:
        relay.close()


def test_a_swarm_frame_altered_on_the_wire_is_refused_and_the_connection_closed(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    stream_id = node.rpc.createstream({"balance": 200})["streamId"]
    outcome = asyncio.run(answers_after_tampering(node, stream_id))
    assert outcome == "closed", f"the node took a frame altered on the path: it {outcome}"
    wait_for(lambda: node.logs(40), lambda lines: any("failed authentication" in line for line in lines), timeout=5,
             expected="the node logs why it dropped the peer", logs=node.logs)
    assert asyncio.run(barrier(node, stream_id))["tip"], "an untampered peer is still served"


async def barrier(node, stream_id: str) -> dict:
    rogue = await RoguePeer.connect(node.ip, SWARM_PORT)
    try:
        return await rogue.barrier(stream_id)
    finally:
        rogue.close()


# -- the cookie (bitcoin-core removes it at a clean stop) --------------------------------------------

def test_the_cookie_file_is_removed_at_a_clean_stop(tmp_path):
    (node,) = local.full_mesh(tmp_path, 1)
    for name in ("FAKENET_RPCUSER", "FAKENET_RPCPASSWORD"):
        node.env.pop(name)
    node.inherit_settings = False
    cookie = node.datadir / ".cookie"
    node.start()
    try:
        wait_for(cookie.exists, bool, timeout=20, expected=f"{node.name} writes {cookie}", logs=node.logs)
        wait_for(lambda: node.logs(40), lambda lines: any("event=ready" in line for line in lines),
                 timeout=20, expected=f"{node.name} is ready", logs=node.logs)
        node.stop()
        assert node.process.returncode == 0, node.logs()
        assert not cookie.exists(), f"{cookie} outlived a clean stop"
    finally:
        node.kill()
