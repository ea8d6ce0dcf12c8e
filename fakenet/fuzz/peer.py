"""A hostile swarm peer: a fresh key that passes the handshake, then sends whatever it is told.

Without a swarm key (the default) anyone who can reach port 4011 gets this far; what a node
does with such a peer's messages is what the hardening tests and the fuzzer probe.
"""

from __future__ import annotations

import asyncio
import os

from fakenet.node import framing
from fakenet.node.handshake import Hello, LocalEnd, authenticate, conclude
from fakenet.node.identity import Identity
from fakenet.node.secure_channel import SecureChannel


class RoguePeer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hello: Hello,
                 channel: SecureChannel):
        self.reader, self.writer, self.hello, self.channel = reader, writer, hello, channel

    @classmethod
    async def connect(cls, host: str, port: int, network: str = "fakenet", name: str = "mallory",
                      announce: str = "/ip4/127.0.0.1/tcp/1", timeout: float = 5.0) -> RoguePeer:
        """Dial a node and pass its handshake with a brand-new identity."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=framing.MAX_FRAME + 1024),
                                                timeout)
        local = LocalEnd(Identity.generate(), name, announce, network, None)
        hello, channel = await asyncio.wait_for(authenticate(reader, writer, local, dialer=True, height=0), timeout)
        await asyncio.wait_for(conclude(reader, writer, channel, None), timeout)
        return cls(reader, writer, hello, channel)

    async def send(self, message: dict) -> None:
        self.writer.write(self.channel.seal_message(message))
        await self.writer.drain()

    async def receive(self, message_type: str, timeout: float = 5.0) -> dict:
        """The next message of `message_type` (answering pings on the way, so the node keeps us)."""
        async def next_of_type():
            while True:
                message, _ = await self.channel.read(self.reader)
                if message["t"] == "ping":
                    await self.send({"t": "pong", "n": message.get("n")})
                elif message["t"] == message_type:
                    return message
        return await asyncio.wait_for(next_of_type(), timeout)

    async def barrier(self, stream_id: str, timeout: float = 5.0) -> dict:
        """Ask for a stream the node holds and wait for its answer: the node handles one
        connection's frames in order, so everything sent before has been handled by then.
        The answer is the node's view of the stream ({tip, log})."""
        qid = os.urandom(8).hex()
        await self.send({"t": "sq", "qid": qid, "stream": stream_id, "hops": 1})
        while True:
            answer = await self.receive("sr", timeout)
            if answer.get("qid") == qid:
                return answer

    def close(self) -> None:
        self.writer.close()
