"""The swarm: authenticated connections to a static peerlist, kept alive and re-dialled.

No discovery: a node dials exactly the addresses it was given (plus `addnode`), accepts whoever
dials it and passes the handshake, and keeps one connection per PeerID. When both ends dial each
other at once, both keep the connection dialled by the lower PeerID, so they agree without talking.
"""

from __future__ import annotations

import asyncio
import random
from typing import Awaitable, Callable, NamedTuple

from fakenet.node import clock, framing, lag, logs
from fakenet.node.admission import Admission, Limits
from fakenet.node.errors import NodeError
from fakenet.node.connection import BYE, NO_SHAPE, Connection, LinkShape, send_all
from fakenet.node.handshake import HandshakeError, Hello, LocalEnd, authenticate, conclude
from fakenet.node.log_budget import LogBudget
from fakenet.node.multiaddr import PeerAddr
from fakenet.node.peerstore import IdentityChanged, PeerStore
from fakenet.node.transport import TCP, Transport

Handler = Callable[[Connection, dict], Awaitable[None]]


class SwarmSettings(NamedTuple):
    """The swarm's timers and limits (a node sets peer_timeout; the rest are tuned here)."""

    ping_interval: float = 1.0
    peer_timeout: float = 4.0  # a dead or paused peer is dropped after this much silence
    handshake_timeout: float = 5.0
    # A SYN into a partition is dropped, and the kernel only resends it after 1 s, then 3 s: a dial
    # left hanging would notice a healed link seconds late. Connecting on a LAN takes a millisecond,
    # so a dial gives up after connect_timeout and tries again after the back-off.
    connect_timeout: float = 0.5
    max_backoff: float = 0.5  # cap of the re-dial back-off: small, so a healed link comes back fast
    # Inbound connections still in their handshake, and authenticated inbound peers: anyone can dial
    # port 4011, and without caps a flood of idle sockets (1,650 once) holds the node's memory. A
    # handshake past its cap evicts the oldest one still under way (admission.py): 200 idle sockets
    # held all 64 slots while the newcomer was refused; now they only evict each other.
    max_handshaking: int = 64
    max_inbound: int = 128


# What a message of the right type but the wrong shape raises in a handler (a field missing or of
# another type, a bad id or CID, a commit the stream rules refuse): the sender's fault, not a bug.
MALFORMED = (KeyError, ValueError, TypeError, AttributeError, IndexError, RecursionError, NodeError)

# A peer that cannot be reached is logged once it has failed this long, then again at this interval:
# a partition makes that normal, but a node that never meets a peer must say why (DNS, route, port).
UNREACHABLE_AFTER = 10.0
UNREACHABLE_REPEAT = 60.0

PING_BYTES = 256  # {"t":"ping","n":<connection id>} is under 40 bytes

RETIRE_GRACE = 3.0  # seconds a duplicate connection is still read before it is closed
CLOSE_GRACE = 2.0  # seconds close() gives the swarm's tasks to end


class DialFailed(Exception):
    pass


def redial_wait(failures: int, cap: float) -> float:
    """Seconds before the next dial after `failures` in a row: 0.1 doubling up to `cap`, plus 0-0.1 at random."""
    return min(0.1 * 2.0 ** min(failures - 1, 30), cap) + random.random() * 0.1


class Swarm:
    def __init__(self, local: LocalEnd, peerstore: PeerStore, peers: list[PeerAddr], height: Callable[[], int],
                 settings: SwarmSettings = SwarmSettings(), transport: Transport = TCP):
        self.local = local
        self.transport = transport
        self.peerstore = peerstore
        self.settings = settings
        self._height = height
        self._log = logs.get()
        self.connections: dict[str, Connection] = {}
        self.connections_made = 0  # ever registered: a new one may bring news gossip did not (stream freshness)
        self.handlers: dict[str, Handler] = {}
        # Payload bytes a frame of each type may have, checked before it is decoded (framing.check_size);
        # pings and pongs are tiny, other types without a limit have the frame limit.
        self.frame_limits: dict[str, int] = {"ping": PING_BYTES, "pong": PING_BYTES, BYE: PING_BYTES}
        self.on_connect: list[Callable[[Connection], Awaitable[None]]] = []
        self.on_disconnect: list[Callable[[Connection], None]] = []  # any connection that ended, listed or not
        self._dialers: dict[str, asyncio.Task] = {}
        # Per dialled address, set when that peer dials us (its hello announces the address): it is up
        # now, so a dialler backing off from it dials at once. Each node counts as meshed only once it
        # has dialled every peer itself, and a peer that started late was otherwise dialled again only
        # after up to max_backoff plus jitter (0.2-0.6 s of a 4-node `up`, BENCHMARKS.md).
        self._peer_is_up: dict[str, asyncio.Event] = {}
        self._peers: dict[str, PeerAddr] = {}
        self._server: asyncio.AbstractServer | None = None
        # The last refusal logged per dialled address ("inbound" for all who dial us): one entry per
        # peer of the list, however many strangers are refused. Warnings go through a budget.
        self._last_refusal: dict[str, str] = {}
        self._log_budget = LogBudget()
        self._unreachable: dict[str, list[float]] = {}  # dial addr -> [failing since, last warned (0: not yet)]
        # Insertion-ordered (a dict, not a set): close() cancels them in the order they were spawned, the
        # same on every run (a set's order follows the tasks' addresses, which a sim seed does not fix).
        self._tasks: dict[asyncio.Task, None] = {}
        # Inbound duplicates of inbound links, retired but still read (RETIRE_GRACE): they count against
        # max_inbound, or one key dialling in again and again held a link per dial past the cap (1,440 at
        # once, from 1.6 s of dials). Both ends dialling at once retire an inbound for an outbound link or
        # the reverse, never counted: a large full mesh starting up must not fill the cap with them.
        self._retiring: set[Connection] = set()
        self.closing = False
        self._handshakes: Admission = Admission(Limits.with_reserve(settings.max_handshaking), lambda _writer: True)
        self._refused_inbound = self._evicted_handshakes = 0
        self.blocked: set[str] = set()  # names or PeerIDs cut off by the admin link filter
        self.shapes: dict[str, LinkShape] = {}  # name or PeerID -> loss/delay on that link
        # One loss RNG per shaped link, kept across reconnects while the filter stands, so a
        # seeded filter drops the same frames on every run.
        self._lotteries: dict[str, random.Random] = {}
        self._lags = lag.LagMeters()  # each peer's measured lag, kept across its reconnects
        self._registered = asyncio.Event()  # a connection was listed: wait_meshed looks again
        # Set while every handler and on_connect listener is in place; cleared by expect_handlers() for
        # a node that meshes before it builds its stream layer (daemon.py): a frame with no handler
        # yet, and the listeners added later, wait for handlers_complete() instead of being dropped.
        self._handlers_complete = asyncio.Event()
        self._handlers_complete.set()
        for addr in peers:
            self.add_peer(addr)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def listen(self, host: str, port: int, sock=None) -> None:
        """`sock`: a TCP socket already bound to host:port (daemon.py binds it before ready)."""
        self._server = await self.transport.listen(self._accept, host, port, **({"sock": sock} if sock else {}))
        self._log.info("swarm_listening", addr=f"{host}:{port}", announce=self.local.announce)
        for addr in self._peers.values():
            self._start_dialer(addr)

    async def close(self) -> None:
        # The flag as well as cancel(): Python 3.11's wait_for can swallow a cancellation that
        # arrives just as the awaited call completes, and a dial loop that lost its cancel kept a
        # stopping node alive until Docker killed it 10 s later.
        self.closing = True
        tasks = [*self._dialers.values(), *self._tasks]
        for task in tasks:
            task.cancel()
        for conn in list(self.connections.values()):
            conn.close("shutting down")
        if self._server:
            self._server.close()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_GRACE)

    # -- peerlist --------------------------------------------------------------------------------

    def add_peer(self, addr: PeerAddr) -> None:
        self._peers[addr.dial_addr] = addr
        if self._server is not None:
            self._start_dialer(addr)

    def remove_peer(self, dial_addr: str) -> bool:
        task = self._dialers.pop(dial_addr, None)
        if task:
            task.cancel()
        return self._peers.pop(dial_addr, None) is not None

    def peer_addrs(self) -> list[PeerAddr]:
        return list(self._peers.values())

    def dialled(self) -> list[PeerAddr]:
        """The peers of the list this node dials: all but its own address, which a list handed to every
        node alike (compose's FAKENET_PEERS names all of them) holds too."""
        return [addr for addr in self._peers.values() if addr.dial_addr != self.local.announce]

    def meshed(self) -> bool:
        """A connection is up to every peer of the list, each dialled by us at least once (that is
        when the peerstore binds its key to its address, so an inbound link alone does not count)."""
        return all(self._connection_for(addr) for addr in self.dialled())

    async def wait_meshed(self, timeout: float | None) -> bool:
        """Until meshed() or `timeout` seconds (None: no limit), whichever first: what a node builds after start
        without needing it to mesh (its stream layer, HTTP apps, jsonschema) waits here, so that CPU comes
        after its handshakes instead of competing with them; the timeout bounds the wait when a peer is
        down or cut."""
        return await self.wait_until(self.meshed, timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float | None) -> bool:
        """Until `condition()` holds or `timeout` seconds pass; looked at again each time a connection is listed."""
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    self._registered.clear()
                    await self._registered.wait()
        except asyncio.TimeoutError:
            return False
        return True

    async def dial_once(self, addr: PeerAddr) -> Connection:
        return await self._dial(addr)

    def _start_dialer(self, addr: PeerAddr) -> None:
        if addr.dial_addr not in self._dialers and addr.dial_addr != self.local.announce:
            self._dialers[addr.dial_addr] = asyncio.create_task(self._dial_forever(addr))

    # -- messages --------------------------------------------------------------------------------

    def handle(self, message_type: str, handler: Handler, max_bytes: int | None = None) -> None:
        """Dispatch frames of `message_type` to `handler`; with `max_bytes`, a larger frame of that
        type is refused before it is decoded and its sender disconnected."""
        self.handlers[message_type] = handler
        if max_bytes is not None:
            self.frame_limits[message_type] = max_bytes

    def expect_handlers(self, frame_limits: dict[str, int]) -> None:
        """More handlers and on_connect listeners are coming: until handlers_complete(), hold the frames
        they will handle (in their link's order) and run the listeners for links made meanwhile then.
        `frame_limits`: the limits those handlers will register, in force from now (layer_limits.py)."""
        self.frame_limits.update(frame_limits)
        self._handlers_complete.clear()

    def handlers_complete(self) -> None:
        self._handlers_complete.set()

    async def broadcast(self, message: dict, exclude: Connection | None = None) -> None:
        peers = [conn for conn in self.connections.values() if conn is not exclude]
        await send_all(peers, message)  # encoded once, no task per peer (connection.send_all)

    def disconnect(self, peer: str) -> bool:
        """Drop the connection to a PeerID, node name or address; the dialler will come back."""
        for conn in list(self.connections.values()):
            if peer in (conn.peer_id, conn.name, conn.hello.announce, conn.dial_addr, conn.remote_addr()):
                conn.close("disconnected by operator")
                return True
        return False

    def set_link_filter(self, blocked: set[str], shapes: dict[str, LinkShape]) -> None:
        """The admin link filter: refuse and drop every peer in `blocked`, degrade those in `shapes`."""
        self.blocked, self.shapes = set(blocked), dict(shapes)
        self._lotteries = {peer: shape.lottery(f"{self.local.name}->{peer}") for peer, shape in self.shapes.items()}
        self._last_refusal.clear()  # a new filter: its refusals are news again
        for conn in list(self.connections.values()):
            if self._is_blocked(conn.hello):
                conn.close("link cut by filter")
            self._apply_shape(conn)

    def _apply_shape(self, conn: Connection) -> None:
        rule = next((key for key in (conn.name, conn.peer_id) if key in self.shapes), None)
        if rule is None:
            conn.set_shape(NO_SHAPE, None)  # loses nothing: no lottery
        else:
            conn.set_shape(self.shapes[rule], self._lotteries[rule])

    def _is_blocked(self, hello: Hello) -> bool:
        return hello.name in self.blocked or hello.peer_id in self.blocked

    async def _dispatch(self, conn: Connection, message: dict) -> None:
        handler = self.handlers.get(message["t"])
        if handler is None and not self._handlers_complete.is_set():
            await self._handlers_complete.wait()  # its handler may be on its way: the link reads on after
            handler = self.handlers.get(message["t"])
        if handler is None:
            self._log.debug("unknown_message", peer=conn.name, type=message["t"])
            return
        try:
            await handler(conn, message)
        except MALFORMED as exc:
            self._log.warning("bad_message", peer=conn.name, type=message["t"], error=repr(exc))
            conn.close(f"malformed {message['t']} message: {exc!r}")
        except Exception as exc:  # a handler's bug: this peer loses its connection, the node lives on
            self._log.error("message_handler_failed", peer=conn.name, type=message["t"], error=repr(exc),
                            exc_info=exc)
            conn.close(f"could not handle {message['t']} message: {exc!r}")

    # -- dialling --------------------------------------------------------------------------------

    async def _dial_forever(self, addr: PeerAddr) -> None:
        """Keep a link to `addr`: dial, and after each failure wait 0.1 s doubling up to max_backoff, plus
        up to 0.1 s at random (so peers refused together do not all come back together); again once
        the link ends. A loop of its own, not a retry library's: importing one was ~3 ms of every
        node's CPU before it meshed."""
        while not self.closing:
            existing = self._connection_for(addr)
            if existing:
                await existing.closed.wait()
                continue
            failures = 0
            while True:
                # Cleared before the dial, not after it failed: a peer dialling in while ours fails wakes the back-off.
                self._peer_is_up.setdefault(addr.dial_addr, asyncio.Event()).clear()
                try:
                    conn = await self._dial(addr)
                    break
                except DialFailed:
                    if self.closing:
                        return
                    failures += 1
                    await self._back_off(addr, redial_wait(failures, self.settings.max_backoff))
            await conn.closed.wait()

    async def _back_off(self, addr: PeerAddr, seconds: float) -> None:
        """Wait `seconds` before dialling `addr` again, or until that peer dials us, whichever first."""
        try:
            async with asyncio.timeout(seconds):
                await self._peer_is_up[addr.dial_addr].wait()
        except asyncio.TimeoutError:
            pass

    def _connection_for(self, addr: PeerAddr) -> Connection | None:
        expected = addr.peer_id or self.peerstore.expected(addr.dial_addr)
        conn = self.connections.get(expected) if expected else None
        # A closed connection may linger in the table until its reader task ends; waiting on
        # its (already set) event would spin without ever yielding to the loop.
        return conn if conn is not None and not conn.closed.is_set() else None

    async def _dial(self, addr: PeerAddr) -> Connection:
        try:
            # Name resolution gets the long timeout (a busy resolver is not a cut link), the connect
            # itself the short one.
            host = await asyncio.wait_for(self.transport.resolve(addr.host, addr.port),
                                          self.settings.handshake_timeout)
            reader, writer = await asyncio.wait_for(self.transport.open(host, addr.port),
                                                    self.settings.connect_timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            self._log.debug("dial_failed", addr=addr.dial_addr, error=repr(exc))
            self._dial_unreachable(addr.dial_addr, exc)
            raise DialFailed(str(exc)) from exc
        self._dial_reached(addr.dial_addr)
        conn = await self._handshake(reader, writer, dial_addr=addr)
        if conn is None:
            raise DialFailed(f"handshake with {addr} failed")
        return conn

    def _dial_unreachable(self, dial_addr: str, exc: BaseException) -> None:
        now = clock.monotonic()
        since, warned = self._unreachable.setdefault(dial_addr, [now, 0.0])
        if now - since >= UNREACHABLE_AFTER and (not warned or now - warned >= UNREACHABLE_REPEAT):
            self._unreachable[dial_addr][1] = now
            self._log.warning("peer_unreachable", addr=dial_addr, failing_for=f"{now - since:.0f}s",
                              error=repr(exc) if str(exc) else type(exc).__name__,
                              hint="a cut link does this; otherwise check the name resolves and the port is open")

    def _dial_reached(self, dial_addr: str) -> None:
        since, warned = self._unreachable.pop(dial_addr, (0.0, 0.0))
        if warned:
            self._log.info("peer_reachable", addr=dial_addr, after=f"{clock.monotonic() - since:.0f}s")

    async def _accept(self, reader, writer) -> None:
        inbound = sum(1 for conn in self.connections.values() if conn.inbound) + len(self._retiring)
        if inbound >= self.settings.max_inbound:
            self._refused_inbound += 1
            self._log_budget.warning("inbound_refused", inbound=inbound, refused=self._refused_inbound,
                                     reason="authenticated inbound peers at their cap")
            writer.close()
            return
        if not self._admit_handshake(writer):
            writer.close()
            return
        try:
            await self._handshake(reader, writer, dial_addr=None)
        finally:
            self._handshakes.release(writer)

    def _admit_handshake(self, writer) -> bool:
        """Every handshake under way may be evicted (none has proved anything yet), so past a cap
        the oldest one makes room for the newcomer."""
        peer = writer.get_extra_info("peername")
        verdict = self._handshakes.admit(writer, str(peer[0]) if peer else "?")
        if verdict.evict is not None:
            self._evicted_handshakes += 1
            self._log_budget.warning("handshake_evicted", evicted=self._evicted_handshakes, reason=verdict.reason)
            verdict.evict.close()
        elif not verdict.admitted:
            self._log_budget.warning("inbound_refused", reason=verdict.reason)
        return verdict.admitted

    # -- handshake and policy --------------------------------------------------------------------

    async def _handshake(self, reader, writer, dial_addr: PeerAddr | None) -> Connection | None:
        where = dial_addr.dial_addr if dial_addr else "inbound"
        try:
            hello, channel = await asyncio.wait_for(
                authenticate(reader, writer, self.local, dialer=dial_addr is not None, height=self._height()),
                self.settings.handshake_timeout)
            await asyncio.wait_for(conclude(reader, writer, channel, self._refusal(hello, dial_addr)),
                                   self.settings.handshake_timeout)
        except (HandshakeError, framing.FrameError) as exc:
            self._log_refusal(where, str(exc))  # one line per distinct reason and address
            writer.close()
            return None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            self._log.debug("handshake_failed", addr=where, error=repr(exc))
            writer.close()
            return None
        except Exception as exc:  # a bug the peer's input reached: refuse this peer, keep listening
            self._log.error("handshake_error", addr=where, error=repr(exc), exc_info=exc)
            writer.close()
            return None
        return self._register(Connection(reader, writer, hello, inbound=dial_addr is None,
                                         dial_addr=dial_addr.dial_addr if dial_addr else None,
                                         local_peer_id=self.local.identity.peer_id, channel=channel))

    def _refusal(self, hello: Hello, dial_addr: PeerAddr | None) -> str | None:
        if hello.peer_id == self.local.identity.peer_id:
            return "connected to ourselves"
        if self._is_blocked(hello):
            return f"link to {hello.name} is cut by the link filter"
        addr = dial_addr.dial_addr if dial_addr else hello.announce
        pinned = dial_addr.peer_id if dial_addr else self._peers.get(addr, PeerAddr("", "", 1)).peer_id
        if pinned and pinned != hello.peer_id:
            return str(IdentityChanged(addr, pinned, hello.peer_id))
        try:
            if dial_addr:
                self.peerstore.check(addr, hello.peer_id)
            else:
                self.peerstore.check_claim(addr, hello.peer_id)
        except IdentityChanged as exc:
            return str(exc)
        return None

    def _log_refusal(self, where: str, reason: str) -> None:
        """A refusal is news at warning level when it differs from the last one at that address (and
        the budget allows); repeats go to debug."""
        if self._last_refusal.get(where) == reason:
            self._log.debug("peer_refused", addr=where, reason=reason)
            return
        self._last_refusal[where] = reason
        self._log_budget.warning("peer_refused", addr=where, reason=reason)

    # -- connection table ------------------------------------------------------------------------

    def _register(self, conn: Connection) -> Connection | None:
        if self._is_blocked(conn.hello):  # the filter changed while the handshake was in flight
            conn.close("link cut by filter")
            return None
        current = self.connections.get(conn.peer_id)
        if current is not None:
            if conn.dialer_peer_id >= current.dialer_peer_id:  # the older one wins a tie
                self._retire(conn, kept=current)
                self._registered.set()  # this dial bound the peer's key to its address: meshed() may hold now
                return current
            self._retire(current, kept=conn)
        self.connections[conn.peer_id] = conn
        self.connections_made += 1
        if conn.inbound and conn.hello.announce in self._peer_is_up:
            self._peer_is_up[conn.hello.announce].set()
        self._registered.set()
        self._apply_shape(conn)
        conn.lag = self._lags.of(conn.peer_id)
        self._last_refusal.pop(conn.dial_addr or conn.hello.announce, None)
        self._log.info("peer_connected", peer=conn.name, peerid=conn.peer_id,
                       direction="in" if conn.inbound else "out", addr=conn.remote_addr())
        self.spawn(self._serve(conn)).set_name(f"serve-{conn.id}")
        return conn

    def spawn(self, coroutine) -> asyncio.Task:
        """Run a background task that is kept referenced until done and cancelled on close."""
        task = asyncio.create_task(coroutine)
        self._tasks[task] = None
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.pop(task, None)

    def _retire(self, conn: Connection, kept: Connection) -> None:
        """Stop using a duplicate but keep reading it a while: frames already in flight on it
        (a query, an answer) must not be lost because both ends dialled at once. Said in the log
        (a `peer_connected` of the duplicate may be there) and, when it closes, to the peer."""
        if self.connections.get(conn.peer_id) is conn:
            del self.connections[conn.peer_id]
        if conn.inbound and kept.inbound:
            self._retiring.add(conn)
        self._log.info("duplicate_link_retired", peer=conn.name, peerid=conn.peer_id,
                       kept="in" if kept.inbound else "out", retired="in" if conn.inbound else "out")
        if not any(task for task in self._tasks if task.get_name() == f"serve-{conn.id}"):
            self.spawn(self._serve(conn, listed=False)).set_name(f"serve-{conn.id}")
        self.spawn(self._close_later(conn, RETIRE_GRACE))

    async def _connect_later(self, conn: Connection, ran: list) -> None:
        """The on_connect listeners added since `conn` was listed, once all are in place, if it still is."""
        await self._handlers_complete.wait()
        if self.connections.get(conn.peer_id) is conn:
            for listener in self.on_connect:
                if listener not in ran:
                    self.spawn(listener(conn))

    @staticmethod
    async def _close_later(conn: Connection, delay: float) -> None:
        await asyncio.sleep(delay)  # a grace period, not a wait for a condition
        await conn.say_goodbye("duplicate", flush=CLOSE_GRACE)

    async def _serve(self, conn: Connection, listed: bool = True) -> None:
        for listener in self.on_connect if listed else ():
            self.spawn(listener(conn))
        if listed and not self._handlers_complete.is_set():
            self.spawn(self._connect_later(conn, list(self.on_connect)))
        try:
            await conn.run(self._dispatch, self.settings.ping_interval, self.settings.peer_timeout, self.frame_limits)
        finally:
            self._retiring.discard(conn)
            if self.connections.get(conn.peer_id) is conn:
                del self.connections[conn.peer_id]
                self._log.info("peer_disconnected", peer=conn.name, peerid=conn.peer_id, reason=conn.close_reason)
            for listener in self.on_disconnect:
                listener(conn)
