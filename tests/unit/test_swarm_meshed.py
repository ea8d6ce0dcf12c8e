"""Swarm.wait_meshed: what a node defers until it has met its peers (its HTTP apps) waits for a
link to every listed peer that this node dialled, and no longer than its timeout."""

import asyncio
import json
import socket

from fakenet.node.handshake import LocalEnd
from fakenet.node.identity import Identity
from fakenet.node.multiaddr import PeerAddr
from fakenet.node.peerstore import PeerStore
from fakenet.node.swarm import Swarm


def _bound() -> tuple[socket.socket, PeerAddr]:
    sock = socket.create_server(("127.0.0.1", 0))
    return sock, PeerAddr("ip4", "127.0.0.1", sock.getsockname()[1])


def _swarm(tmp_path, name: str, me: PeerAddr, peers: list[PeerAddr]) -> Swarm:
    local = LocalEnd(Identity.generate(), name, me.dial_addr, "fakenet", None)
    return Swarm(local, PeerStore(tmp_path / f"{name}.json"), peers, height=lambda: 0)


def test_a_swarm_without_peers_is_meshed_at_once(tmp_path):
    sock, me = _bound()
    sock.close()
    swarm = _swarm(tmp_path, "node", me, [])
    assert swarm.meshed()
    assert asyncio.run(swarm.wait_meshed(0.01)) is True


def test_two_swarms_that_dial_each_other_are_meshed_once_both_dialled(tmp_path):
    async def scenario():
        (sock_a, a), (sock_b, b) = _bound(), _bound()
        swarm_a, swarm_b = _swarm(tmp_path, "a", a, [b]), _swarm(tmp_path, "b", b, [a])
        assert not swarm_a.meshed() and not swarm_b.meshed()
        await swarm_a.listen("127.0.0.1", a.port, sock=sock_a)
        await swarm_b.listen("127.0.0.1", b.port, sock=sock_b)
        try:
            results = await asyncio.gather(swarm_a.wait_meshed(30), swarm_b.wait_meshed(30))
            # meshed means this end dialled: its peerstore now binds the peer's key to the address
            trusted = swarm_a.peerstore.expected(b.dial_addr), swarm_b.peerstore.expected(a.dial_addr)
            return results, trusted, (swarm_b.local.identity.peer_id, swarm_a.local.identity.peer_id)
        finally:
            await swarm_a.close()
            await swarm_b.close()

    results, trusted, expected = asyncio.run(scenario())
    assert results == [True, True], f"expected both swarms meshed within 30 s, got {results}"
    assert trusted == expected


def test_the_wait_ends_at_its_timeout_while_a_peer_is_down(tmp_path):
    async def scenario():
        (sock, me), (gone, down) = _bound(), _bound()
        gone.close()  # nobody listens there: every dial is refused
        swarm = _swarm(tmp_path, "node", me, [down])
        await swarm.listen("127.0.0.1", me.port, sock=sock)
        try:
            return await swarm.wait_meshed(0.3), swarm.meshed()
        finally:
            await swarm.close()

    assert asyncio.run(scenario()) == (False, False)


def test_a_frame_for_a_handler_not_yet_there_waits_for_it_and_late_listeners_see_earlier_links(tmp_path):
    """A node meshes before its stream layer is built (daemon.py): a peer's frame for the layer waits
    for its handler instead of being dropped, and the layer's on_connect listeners meet the links
    made meanwhile."""
    async def scenario():
        (sock_a, a), (sock_b, b) = _bound(), _bound()
        swarm_a, swarm_b = _swarm(tmp_path, "a", a, [b]), _swarm(tmp_path, "b", b, [a])
        swarm_b.expect_handlers({"late": 128})
        await swarm_a.listen("127.0.0.1", a.port, sock=sock_a)
        await swarm_b.listen("127.0.0.1", b.port, sock=sock_b)
        try:
            assert await swarm_a.wait_meshed(30) and await swarm_b.wait_meshed(30)
            link = next(iter(swarm_b.connections.values()))
            before = link.bytesrecv
            await swarm_a.broadcast({"t": "late", "n": 1, "pad": "x" * 30})
            deadline = asyncio.get_running_loop().time() + 30
            while link.bytesrecv < before + 30:  # read by b (pings are smaller): held, or dropped if not
                assert asyncio.get_running_loop().time() < deadline, f"b read {link.bytesrecv - before} bytes, expected 30+"
                await asyncio.sleep(0.01)
            handled, met = asyncio.Queue(), asyncio.Queue()

            async def handler(conn, message):
                handled.put_nowait(message["n"])

            async def listener(conn):
                met.put_nowait(conn.name)

            swarm_b.handle("late", handler, 128)
            swarm_b.on_connect.append(listener)
            swarm_b.handlers_complete()
            return (await asyncio.wait_for(handled.get(), 30), await asyncio.wait_for(met.get(), 30),
                    swarm_b.frame_limits["late"])
        finally:
            await swarm_a.close()
            await swarm_b.close()

    assert asyncio.run(scenario()) == (1, "a", 128)


def _waitforconnections(swarm: Swarm):
    """The waitforconnections RPC of a node around `swarm`, called as a client would (dispatch.handle)."""
    from types import SimpleNamespace

    from fakenet.node.rpc import network
    from fakenet.node.rpc.dispatch import Registry, handle

    registry = Registry()
    network.register(registry, SimpleNamespace(swarm=swarm))

    async def call(*params):
        reply = await handle(registry, json.dumps({"method": "waitforconnections", "params": list(params), "id": 1}).encode())
        return reply.body["result"] if reply.body["error"] is None else reply.body["error"]["code"]
    return call


def test_waitforconnections_answers_when_the_links_are_up_or_at_its_timeout(tmp_path):
    """What `up` asks a node not yet meshed (netstatus.HOLD): held until it has the count, not failed."""
    async def scenario():
        (sock_a, a), (sock_b, b) = _bound(), _bound()
        swarm_a, swarm_b = _swarm(tmp_path, "a", a, [b]), _swarm(tmp_path, "b", b, [a])
        call = _waitforconnections(swarm_a)
        try:
            early = await call(1, 0.05)  # nobody listens yet: its timeout, with what it has
            held = asyncio.ensure_future(call(1, 10))
            await swarm_a.listen("127.0.0.1", a.port, sock=sock_a)
            await swarm_b.listen("127.0.0.1", b.port, sock=sock_b)
            return early, await asyncio.wait_for(held, 30), [await call(1, 11), await call(-1, 1), await call(2, "1")]
        finally:
            await swarm_a.close()
            await swarm_b.close()

    early, held, refused = asyncio.run(scenario())
    assert (early, held) == (0, 1), f"expected 0 at the timeout, then 1 once linked; got {early}, {held}"
    assert refused == [-8, -8, -8], f"expected out-of-range parameters refused (-8), got {refused}"


def test_a_peer_that_dials_in_is_dialled_back_at_once_not_after_the_back_off(tmp_path, monkeypatch):
    """A node is meshed only once it has dialled each peer itself: one that started late (its first dial
    refused) is dialled again the moment it dials in, not when the back-off ends (30 s here)."""
    from fakenet.node import swarm as swarm_module

    monkeypatch.setattr(swarm_module, "redial_wait", lambda failures, cap: 30.0)

    async def scenario():
        (sock_a, a), (sock_b, b) = _bound(), _bound()
        sock_b.close()  # b is not up yet: a's dials are refused
        swarm_a, swarm_b = _swarm(tmp_path, "a", a, [b]), _swarm(tmp_path, "b", b, [a])
        await swarm_a.listen("127.0.0.1", a.port, sock=sock_a)
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while b.dial_addr not in swarm_a._unreachable:
                assert asyncio.get_running_loop().time() < deadline, "expected a's first dial of b to be refused"
                await asyncio.sleep(0.01)
            sock_b = socket.create_server(("127.0.0.1", b.port))
            await swarm_b.listen("127.0.0.1", b.port, sock=sock_b)  # b starts late, and dials a
            return await swarm_a.wait_meshed(5), await swarm_b.wait_meshed(5)
        finally:
            await swarm_a.close()
            await swarm_b.close()

    assert asyncio.run(scenario()) == (True, True), "expected a to dial b back within 5 s of b dialling in"


def test_getpeerids_is_getpeerinfos_peerids_alone_in_its_order(tmp_path):
    """What the harness asks every node at each poll of the graph (FakenetClient.peer_identities)."""
    from types import SimpleNamespace

    from fakenet.node.rpc import network
    from fakenet.node.rpc.dispatch import Registry, handle

    async def scenario():
        (sock_a, a), (sock_b, b), (sock_c, c) = _bound(), _bound(), _bound()
        swarms = [_swarm(tmp_path, "a", a, [b, c]), _swarm(tmp_path, "b", b, [a]), _swarm(tmp_path, "c", c, [a])]
        registry = Registry()
        network.register(registry, SimpleNamespace(swarm=swarms[0]))

        async def call(method):
            return (await handle(registry, json.dumps({"method": method, "params": [], "id": 1}).encode())).body["result"]
        try:
            alone = await call("getpeerids")
            for swarm, sock, addr in zip(swarms, (sock_a, sock_b, sock_c), (a, b, c)):
                await swarm.listen("127.0.0.1", addr.port, sock=sock)
            await asyncio.wait_for(swarms[0].wait_until(lambda: len(swarms[0].connections) == 2, None), 30)
            return alone, await call("getpeerids"), [peer["peerid"] for peer in await call("getpeerinfo")]
        finally:
            for swarm in swarms:
                await swarm.close()

    alone, ids, from_info = asyncio.run(scenario())
    assert alone == [] and len(ids) == 2 and ids == from_info


def test_close_cancels_the_swarms_tasks_in_the_order_they_were_spawned(tmp_path):
    """What a stopping node's peers see first follows this order, so on sim a seed's trace does: it
    must not be a set's, which follows the tasks' addresses (a graceful stop's log lines swapped
    places from run to run)."""
    sock, me = _bound()
    sock.close()

    async def scenario():
        swarm, cancelled = _swarm(tmp_path, "node", me, []), []

        async def waits(n):
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(n)
                raise
        for n in range(300):
            swarm.spawn(waits(n))
        await asyncio.sleep(0)
        await swarm.close()
        return cancelled

    assert asyncio.run(scenario()) == list(range(300))


def test_the_peers_a_node_dials_leave_out_its_own_address(tmp_path):
    """compose hands every node the same FAKENET_PEERS, its own address among them."""
    me, other, third = (PeerAddr("ip4", f"10.0.0.{i}", 4011) for i in (2, 3, 4))
    swarm = _swarm(tmp_path, "node", me, [me, other, third, other])
    assert [addr.dial_addr for addr in swarm.dialled()] == [other.dial_addr, third.dial_addr]
