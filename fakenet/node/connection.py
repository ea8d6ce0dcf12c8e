"""One authenticated peer connection: sealed framed send, a reader loop, keepalive pings, counters."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections import deque
from collections.abc import Mapping
from contextlib import suppress
from typing import Awaitable, Callable, Iterable, NamedTuple, TYPE_CHECKING

from fakenet.node import clock, framing, lag
from fakenet.node.handshake import Hello
from fakenet.node.read_deadline import ReadDeadline

if TYPE_CHECKING:  # the handshake imports it
    from fakenet.node.secure_channel import SecureChannel

_ids = itertools.count()

Dispatch = Callable[["Connection", dict], Awaitable[None]]


class LinkShape(NamedTuple):
    """Degradation applied to what this node sends on one link (used where the kernel has no netem)."""

    loss: float = 0.0  # probability that a frame is dropped
    delay: float = 0.0  # seconds each frame spends on the link (latency, not a rate limit)
    seed: int | None = None  # seeds the loss decisions, so a failing run replays its loss pattern

    def lottery(self, link: str) -> random.Random:
        """The RNG that decides which frames `link` drops. With a seed it is derived from the seed
        and the link's name (string seeds hash with SHA-512: stable across runs, unlike hash()),
        so one seed gives every link its own pattern and the same pattern on every run."""
        return random.Random(f"{self.seed}/{link}") if self.seed is not None else random.Random()


# A frame whose delay has less than this left is due. Asyncio fires a timer once it is within the
# clock's resolution (1 ns), so re-timing a shorter wait spins without time passing; on sim's
# virtual clock, which moves only when the loop would sleep, that spin never ended.
DUE_SLACK = 1e-6
NO_SHAPE = LinkShape()
OUTBOX_HIGH_WATER = 1 << 20  # bytes queued before send() waits for the writer (backpressure)
PINGS_IN_FLIGHT = 64  # unanswered pings remembered: a minute of keepalives
# {"t": "bye", "why": code}: this end closes the connection on purpose, and says why, so the other end
# does not log a peer leaving. A code it does not know (or an old peer ignoring the frame, then the
# TCP close) is still just a close.
BYE = "bye"
FAREWELLS = {"duplicate": "duplicate link retired"}  # why -> the close reason both ends log
PEER_CLOSED = "peer closed the connection"


class Connection:
    def __init__(self, reader, writer, hello: Hello, inbound: bool, dial_addr: str | None, local_peer_id: str,
                 channel: SecureChannel):
        self.id = next(_ids)
        self.reader, self.writer = reader, writer
        self.channel = channel
        self.hello = hello
        self.inbound = inbound
        self.dial_addr = dial_addr
        self.dialer_peer_id = hello.peer_id if inbound else local_peer_id
        self.conntime = int(clock.wall())
        self.lastsend = self.lastrecv = self.conntime
        self.bytessent = self.bytesrecv = 0
        self.pingtime: float | None = None
        self.minping: float | None = None
        # Pings in flight by number: a pong is matched to its own ping, so a paused peer's late
        # pong measures the whole pause (a lost ping is simply never answered, and ages out).
        self._pings: dict[int, float] = {}
        self._ping_seq = itertools.count()
        self.peer_delay = 0.0  # what the peer's link filter adds to its frames to us, as it stamps them
        self.lag = lag.LagMeter()  # residual delay on this link: round trips and keepalive lateness
        self.stall = lag.StallClock(expected=math.inf)  # how long the link heard nothing at all (run() sets K)
        self.closed = asyncio.Event()
        self.close_reason = ""
        # No RNG until a shape can lose frames: one Random is 2.5 KB, and a simulation of 10,000
        # nodes holds tens of thousands of connections that are never shaped.
        self.shape, self._lottery = NO_SHAPE, None
        self.dropped = 0
        # Frames wait in the outbox for the writer task, each until its delay has passed: a
        # delayed link holds back only its own frames, never the sender (a handler forwarding a
        # query on a slow link would otherwise stall the reader it runs on).
        # Payloads are sealed by the writer as they leave: the channel's nonces follow the write order.
        self._outbox: deque[tuple[float, bytes]] = deque()  # (queued at, JSON payload), FIFO
        self._queued_bytes = 0
        self._arrived = asyncio.Event()  # the outbox got a frame
        self._reshaped = asyncio.Event()  # the shape changed: re-time the frame at the head
        self._room = asyncio.Event()  # the outbox went below its high-water mark
        self._room.set()
        self._drained = asyncio.Event()  # every queued frame has been written
        self._drained.set()
        self._writer_idle = False  # the writer task waits for a frame: nothing of ours is mid-write
        # What _writable_now asks of the writer: asyncio's StreamWriter has both; the sim's pipe has no
        # transport (it never buffers), and a test's stand-in may have neither.
        self._closing = getattr(writer, "is_closing", lambda: False)
        self._transport = getattr(writer, "transport", None)

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

    def set_shape(self, shape: LinkShape, lottery: random.Random | None) -> None:
        """Degrade this link from now on; frames already waiting are re-timed by the new delay, so
        clearing a delay (even an infinite one) releases them at once. `lottery` decides which
        frames are lost: needed only when `shape.loss` is set."""
        if shape.loss and lottery is None:
            raise ValueError("a lossy link shape needs its lottery (LinkShape.lottery)")
        self.shape, self._lottery = shape, lottery
        self._reshaped.set()

    async def send(self, message: dict) -> None:
        """Queue a frame for the peer (or write it at once, when it would leave at once: `_writable_now`);
        returns once it is queued, after waiting for room when the outbox is full. Frames keep their order."""
        if self.queue_payload(framing.payload(message)):
            await self._room.wait()

    async def send_payload(self, payload: bytes) -> None:
        """`send` of a message already encoded (framing.payload): one encoding for many links."""
        if self.queue_payload(payload):
            await self._room.wait()

    def queue_payload(self, payload: bytes) -> bool:
        """`send_payload` without its coroutine, for a caller that sends many frames: True when the
        caller must `wait_for_room()` before it sends more (the outbox is over its high-water mark)."""
        return not self.closed.is_set() and self._queue(payload)

    async def wait_for_room(self) -> None:
        await self._room.wait()

    def _queue(self, frame: bytes) -> bool:
        """Put a payload in the outbox (or lose it, on a lossy link); True when the outbox is now
        over its high-water mark and the sender must wait for room."""
        if self.shape.loss and self._lottery.random() < self.shape.loss:
            self.dropped += 1
            return False
        if self._writer_idle and self._writable_now():  # (idle first: the common case asks no more)
            self._write_now(frame)
            return False
        self._outbox.append((clock.monotonic(), frame))
        self._drained.clear()
        self._queued_bytes += len(frame)
        self._arrived.set()
        if self._queued_bytes > OUTBOX_HIGH_WATER:
            self._room.clear()
            return True
        return False

    async def _write_frames(self) -> None:
        """The one writer: frames leave in order, each once the link's current delay has passed."""
        while not self.closed.is_set():
            if not self._outbox:
                self._drained.set()
                self._arrived.clear()
                self._writer_idle = True
                try:
                    await self._arrived.wait()
                finally:
                    self._writer_idle = False
                continue
            wait = self._outbox[0][0] + self.shape.delay - clock.monotonic()
            if wait > DUE_SLACK:
                self._reshaped.clear()
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._reshaped.wait(), wait if math.isfinite(wait) else None)
                continue
            await self._write(self._due())

    def _due(self) -> list[bytes]:
        """Every frame at the head of the outbox whose delay has passed: written together, one
        write and one drain (frames queued in one burst, as a flood queues them, wake the writer
        and the peer's reader once)."""
        due = clock.monotonic() - self.shape.delay + DUE_SLACK  # queued by then: due (_write_frames' rule)
        payloads = [self._outbox.popleft()[1]]  # the head: _write_frames found it due
        while self._outbox and self._outbox[0][0] <= due:
            payloads.append(self._outbox.popleft()[1])
        return payloads

    async def _write(self, payloads: list[bytes]) -> None:
        self._queued_bytes -= sum(map(len, payloads))
        if self._queued_bytes <= OUTBOX_HIGH_WATER:
            self._room.set()
        # Each frame sealed on its own, in order: its own length, tag and nonce, as if written alone.
        frame = b"".join([self.channel.seal(payload) for payload in payloads])
        try:
            self.writer.write(frame)
            await self.writer.drain()
        except (ConnectionError, OSError) as exc:
            self.close(f"send failed: {exc}")
            return
        self._sent(len(frame))

    def _writable_now(self) -> bool:
        """A frame may skip the outbox and the writer task: it would be written at once anyway (no
        delay on the link, nothing queued or mid-write before it), and the transport holds nothing
        unsent, so no drain is owed (else the writer's drain paces the sender, as before). Waking
        the writer was a loop round trip per frame and link: a third of the scheduling of a flood."""
        if not self._writer_idle or self._outbox or self.shape.delay > DUE_SLACK:
            return False
        if self.closed.is_set() or self._closing():
            return False
        return self._transport is None or self._transport.get_write_buffer_size() == 0

    def _write_now(self, payload: bytes) -> None:
        frame = self.channel.seal(payload)
        try:
            self.writer.write(frame)
        except (ConnectionError, OSError) as exc:
            self.close(f"send failed: {exc}")
            return
        self.bytessent += len(frame)  # _sent's two lines: this is every frame's path
        self.lastsend = int(clock.wall())

    def _sent(self, size: int) -> None:
        self.bytessent += size
        self.lastsend = int(clock.wall())

    def close(self, reason: str) -> None:
        if not self.closed.is_set():
            self.close_reason = reason
            self.closed.set()
            self._room.set()  # senders waiting for room: nothing more will be written
            self._arrived.set()  # the writer: stop, even if it waits out a delay
            self._reshaped.set()
            self.writer.close()

    async def run(self, dispatch: Dispatch, ping_interval: float, timeout: float,
                  limits: Mapping[str, int] | None = None) -> None:
        """Read and dispatch frames until the peer goes away, misbehaves or stays silent too long;
        a frame over its type's byte limit in `limits` is a protocol error (framing.check_size)."""
        self.stall.start(ping_interval)  # an honest peer is heard about every keepalive (lag.STALL)
        pinger = asyncio.create_task(self._keepalive(ping_interval))
        writer = asyncio.create_task(self._write_frames())
        loop = asyncio.get_running_loop()
        deadline = ReadDeadline(loop)
        patience = timeout
        closed, read, reader = self.closed, self.channel.read, self.reader  # (looked up once: read every frame)
        try:
            # timeout(), not wait_for(): on Python 3.11 wait_for runs the read as a task of its own,
            # one more task per frame (a simulation of 10,000 nodes reads millions of frames); one
            # guard for every read, with no timer of its own: ReadDeadline enforces `patience` on
            # a read in progress only, with one timer per connection.
            async with asyncio.timeout(None) as guard:
                while not closed.is_set():
                    delay, peer_delay = self.shape.delay, self.peer_delay
                    injected = peer_delay if peer_delay > delay else delay  # either end may be the one shaped
                    patience = timeout + lag.peer_grace(timeout, injected, ping_interval, self.lag.peak())
                    deadline.reading(guard, loop.time() + patience)
                    try:
                        message, size = await read(reader, limits=limits)
                    finally:
                        deadline.done()
                    self.lastrecv, self.bytesrecv = int(clock.wall()), self.bytesrecv + size
                    self.stall.heard()
                    kind = message["t"]
                    if kind == "ping" or kind == "pong":  # first: most frames are keepalives
                        if self._answer_ping(message):
                            await self._room.wait()
                    elif kind == BYE:
                        why = message.get("why")
                        self.close(FAREWELLS.get(why, PEER_CLOSED) if isinstance(why, str) else PEER_CLOSED)
                    else:
                        await dispatch(self, message)
        except asyncio.TimeoutError:
            self.close(f"no frame for {patience:.0f}s (peer dead or paused)")
        except asyncio.IncompleteReadError:
            self.close(PEER_CLOSED)
        except framing.FrameError as exc:
            self.close(f"protocol error: {exc}")
        except (ConnectionError, OSError) as exc:
            self.close(f"connection error: {exc}")
        finally:
            deadline.cancel()
            pinger.cancel()
            writer.cancel()
            self.close(self.close_reason or "closed")

    async def say_goodbye(self, why: str, flush: float) -> None:
        """Close on purpose: a bye frame tells the peer `why` (a FAREWELLS code), and is given up to
        `flush` seconds to leave (frames queued before it leave first: the link may be delayed)."""
        if self.closed.is_set():
            return
        await self.send({"t": BYE, "why": why})
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._drained.wait(), flush)
        self.close(FAREWELLS[why])

    def injected_round_trip(self) -> float:
        """What the link filters of both ends add to a round trip on this link."""
        return self.shape.delay + self.peer_delay

    def _answer_ping(self, message: dict) -> bool:
        """Take a ping or pong; True when the pong it sent must wait for room (as `send` would):
        not a coroutine, since a pong almost never waits and every link answers one a second."""
        self.peer_delay = lag.read_stamp(message)
        number = message.get("n")
        if message["t"] == "ping":
            return self.queue_payload(keepalive_payload(b"pong", number, lag.stamp(self.shape.delay)))
        sent_at = self._pings.pop(number, None) if isinstance(number, int) else None
        if sent_at is not None:
            self.pingtime = pingtime = clock.monotonic() - sent_at
            self.minping = min(self.minping or pingtime, pingtime)
            self.lag.record(pingtime - self.injected_round_trip())
        return False

    async def _keepalive(self, interval: float) -> None:
        while not self.closed.is_set():
            due = clock.monotonic() + interval
            await asyncio.sleep(interval)
            self.lag.late_by(due)  # this node's own event loop was this late
            if self._queue_ping():  # ping(), without its coroutine and send's: one a second per link
                await self._room.wait()

    async def ping(self) -> None:
        """Ping the peer now; its pong sets pingtime (the keepalive, and the `ping` RPC)."""
        if self._queue_ping():
            await self._room.wait()

    def _queue_ping(self) -> bool:
        """Queue a ping (`queue_payload`: True when the sender must wait for room)."""
        number = next(self._ping_seq)
        self._pings[number] = clock.monotonic()
        while len(self._pings) > PINGS_IN_FLIGHT:
            del self._pings[next(iter(self._pings))]
        return self.queue_payload(keepalive_payload(b"ping", number, lag.stamp(self.shape.delay)))


def keepalive_payload(kind: bytes, number, stamp) -> bytes:
    """framing.payload({"t": kind, "n": number, "d": stamp}), the same bytes, formatted directly when
    the number is an int and the stamp a finite float (as JSON writes them: their repr), as in
    every ping and pong an honest peer sends: two frames a second on every link, where the encoder
    and its join were most of the cost of a keepalive's payload. Anything else (a peer may echo any
    number) goes through the encoder."""
    if type(number) is int and type(stamp) is float and -math.inf < stamp < math.inf:
        return b'{"t":"%s","n":%d,"d":%s}' % (kind, number, repr(stamp).encode())
    return framing.payload({"t": kind.decode(), "n": number, "d": stamp})


async def send_all(connections: Iterable[Connection], message: dict) -> None:
    """Send one message to many peers: encoded once, queued on every link at once (no task per
    link: a flood at a thousand nodes sent 100,000 frames), then waiting for room wherever an
    outbox is full. Each link seals its own copy as it leaves, under its own key."""
    connections = [conn for conn in connections if not conn.closed.is_set()]
    if not connections:
        return
    frame = framing.payload(message)
    full = [conn for conn in connections if conn._queue(frame)]
    for conn in full:
        await conn._room.wait()
