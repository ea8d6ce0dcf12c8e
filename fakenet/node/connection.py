"""One authenticated peer connection: framed send, a reader loop, keepalive pings, counters."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from fakenet.node import framing
from fakenet.node.handshake import Hello

_ids = itertools.count()

Dispatch = Callable[["Connection", dict], Awaitable[None]]


@dataclass(frozen=True)
class LinkShape:
    """Degradation applied to what this node sends on one link (used where the kernel has no netem)."""

    loss: float = 0.0  # probability that a frame is dropped
    delay: float = 0.0  # seconds added before each frame goes out


NO_SHAPE = LinkShape()
_rng = random.Random()


class Connection:
    def __init__(self, reader, writer, hello: Hello, inbound: bool, dial_addr: str | None, local_peer_id: str):
        self.id = next(_ids)
        self.reader, self.writer = reader, writer
        self.hello = hello
        self.inbound = inbound
        self.dial_addr = dial_addr
        self.dialer_peer_id = hello.peer_id if inbound else local_peer_id
        self.conntime = int(time.time())
        self.lastsend = self.lastrecv = self.conntime
        self.bytessent = self.bytesrecv = 0
        self.pingtime: float | None = None
        self.minping: float | None = None
        self._ping_sent_at: float | None = None
        self._send_lock = asyncio.Lock()
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.shape = NO_SHAPE
        self.dropped = 0

    @property
    def peer_id(self) -> str:
        return self.hello.peer_id

    @property
    def name(self) -> str:
        return self.hello.name

    def remote_addr(self) -> str:
        peer = self.writer.get_extra_info("peername") or ("?", 0)
        return f"{peer[0]}:{peer[1]}"

    def local_addr(self) -> str:
        sock = self.writer.get_extra_info("sockname") or ("?", 0)
        return f"{sock[0]}:{sock[1]}"

    async def send(self, message: dict) -> None:
        if self.closed.is_set():
            return
        frame = framing.encode(message)
        if self.shape.loss and _rng.random() < self.shape.loss:
            self.dropped += 1
            return
        try:
            async with self._send_lock:
                if self.shape.delay:
                    await asyncio.sleep(self.shape.delay)  # inside the lock: frames keep their order
                self.writer.write(frame)
                await self.writer.drain()
        except (ConnectionError, OSError) as exc:
            self.close(f"send failed: {exc}")
            return
        self.bytessent += len(frame)
        self.lastsend = int(time.time())

    def close(self, reason: str) -> None:
        if not self.closed.is_set():
            self.close_reason = reason
            self.closed.set()
            self.writer.close()

    async def run(self, dispatch: Dispatch, ping_interval: float, timeout: float) -> None:
        """Read and dispatch frames until the peer goes away, misbehaves or stays silent too long."""
        pinger = asyncio.create_task(self._keepalive(ping_interval))
        try:
            while not self.closed.is_set():
                message, size = await asyncio.wait_for(framing.read(self.reader), timeout)
                self.lastrecv, self.bytesrecv = int(time.time()), self.bytesrecv + size
                if message["t"] in ("ping", "pong"):
                    await self._answer_ping(message)
                else:
                    await dispatch(self, message)
        except asyncio.TimeoutError:
            self.close(f"no frame for {timeout:.0f}s (peer dead or paused)")
        except asyncio.IncompleteReadError:
            self.close("peer closed the connection")
        except framing.FrameError as exc:
            self.close(f"protocol error: {exc}")
        except (ConnectionError, OSError) as exc:
            self.close(f"connection error: {exc}")
        finally:
            pinger.cancel()
            self.close(self.close_reason or "closed")

    async def _answer_ping(self, message: dict) -> None:
        if message["t"] == "ping":
            await self.send({"t": "pong", "n": message.get("n")})
        elif self._ping_sent_at is not None:
            self.pingtime = time.monotonic() - self._ping_sent_at
            self.minping = min(self.minping or self.pingtime, self.pingtime)
            self._ping_sent_at = None

    async def _keepalive(self, interval: float) -> None:
        while not self.closed.is_set():
            await asyncio.sleep(interval)
            self._ping_sent_at = time.monotonic()
            await self.send({"t": "ping", "n": self.id})
