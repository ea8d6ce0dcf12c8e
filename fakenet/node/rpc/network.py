"""Peer and network RPCs (bitcoin-core field names, plus fakenet's `peerid` and `name`)."""

from __future__ import annotations

from fakenet.node.version import __version__
from fakenet.node.errors import NodeConfigError
from fakenet.node import logs, multiaddr
from fakenet.node.connection import Connection, LinkShape
from fakenet.node.rpc import caller, params
from fakenet.node.rpc.hostport import to_multiaddr
from fakenet.node.swarm import DialFailed
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.errors import (CLIENT_NODE_ALREADY_ADDED, CLIENT_NODE_NOT_ADDED, CLIENT_NODE_NOT_CONNECTED,
                                     INVALID_PARAMETER, RpcFailure)

PROTOCOL_VERSION = 70016
# A minute per frame is already a link no test can use; beyond it a "delay" is a hang.
MAX_DELAY_MS = 60_000
# Peers one filter may name: every other node of the largest network fakenet runs (sim holds about
# ten thousand) must fit, since isolating a node blocks all the others; still a bound on the work
# (a set of names, each at most 200 characters) and far under the RPC body limit's worth of names.
MAX_FILTER_PEERS = 65_536
SUBVERSION = f"/fakenet:{__version__}/"
# The longest a waitforconnections request is held (a batch of them together): a bound on what one
# request keeps open, well under a client's usual timeout.
MAX_CONNECTIONS_WAIT = 10.0


def _peer_json(conn: Connection) -> dict:
    return {
        "id": conn.id, "addr": conn.remote_addr(), "addrbind": conn.local_addr(), "network": "ipv4",
        "services": "0000000000000409", "servicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED"],
        "relaytxes": True, "lastsend": conn.lastsend, "lastrecv": conn.lastrecv,
        "bytessent": conn.bytessent, "bytesrecv": conn.bytesrecv, "conntime": conn.conntime, "timeoffset": 0,
        "pingtime": conn.pingtime, "minping": conn.minping, "version": PROTOCOL_VERSION, "subver": SUBVERSION,
        "inbound": conn.inbound, "startingheight": conn.hello.height, "synced_headers": -1, "synced_blocks": -1,
        "connection_type": "inbound" if conn.inbound else "manual", "permissions": [],
        # Not tracked here: reported as bitcoin-core reports a peer that never sent one.
        "minfeefilter": 0.0, "last_block": 0, "last_transaction": 0, "inflight": [],
        "bytessent_per_msg": {}, "bytesrecv_per_msg": {},
        "peerid": conn.peer_id, "name": conn.name, "announce": conn.hello.announce,
        # Seconds this link ran late beyond its injected delay lately: the extra silence a load
        # grants it (fakenet.node.lag).
        "lag": round(conn.lag.peak(), 3),
    }


def _parse_addr(text: str):
    """A multiaddr, or bitcoin-core's HOST:PORT (what `addnode` takes there)."""
    try:
        return multiaddr.parse(to_multiaddr(text))
    except NodeConfigError as exc:
        raise RpcFailure(INVALID_PARAMETER, str(exc)) from exc


async def _dial_once(swarm, addr) -> None:
    """`addnode … onetry` answers at once; a failed dial is logged, not left as an unretrieved task error."""
    try:
        await swarm.dial_once(addr)
    except (DialFailed, OSError, UnicodeError) as exc:  # the resolver's own refusals included
        logs.get().info("onetry_failed", addr=addr.dial_addr, error=str(exc))


def register(registry: Registry, node) -> None:
    swarm = node.swarm

    def counts() -> tuple[int, int]:
        inbound = sum(1 for conn in swarm.connections.values() if conn.inbound)
        return inbound, len(swarm.connections) - inbound

    @registry.method
    async def getpeerinfo():
        """Returns data about each connected peer as a JSON array of objects."""
        return [_peer_json(conn) for conn in sorted(swarm.connections.values(), key=lambda c: c.id)]

    @registry.method
    async def getpeerids():
        """Returns the PeerID of each connected peer, in getpeerinfo's order: its `peerid` fields alone,
        for a client that asks many nodes for their links again and again (the harness's graph checks;
        getpeerinfo builds some thirty fields a peer)."""
        return [conn.peer_id for conn in sorted(swarm.connections.values(), key=lambda c: c.id)]

    @registry.method
    async def getconnectioncount():
        """Returns the number of connections to other nodes."""
        return len(swarm.connections)

    @registry.method
    async def getnetworkinfo():
        """Returns an object containing various state info regarding P2P networking."""
        inbound, outbound = counts()
        return {
            "version": node.version_number, "subversion": SUBVERSION, "protocolversion": PROTOCOL_VERSION,
            "localservices": "0000000000000409", "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED"],
            "localrelay": True, "timeoffset": 0,
            # False for the moment a starting node answers RPC before its swarm listens (daemon.py)
            "networkactive": swarm.listening, "connections": inbound + outbound,
            "connections_in": inbound, "connections_out": outbound,
            "networks": [{"name": "ipv4", "limited": False, "reachable": True, "proxy": "",
                          "proxy_randomize_credentials": False}],
            "relayfee": 0.00001, "incrementalfee": 0.00001, "localaddresses": [], "warnings": "",
            "peerid": node.identity.peer_id, "name": node.name, "announce": swarm.local.announce,
            "network": node.network, "swarmkey": swarm.local.swarm_key.fingerprint if swarm.local.swarm_key else None,
        }

    @registry.method
    async def waitforconnections(count, timeout=1.0):
        """Waits until the node has at least `count` connections, or `timeout` seconds (at most 10)
        pass, and returns how many it has: fakenet's own, so that `up` hears at once that a node has
        met its peers instead of polling for it. The wait costs the node nothing until a link is made;
        the calls of one batch wait 10 s at most together, and none outlives its client."""
        count = params.integer("count", count, 0, MAX_FILTER_PEERS)
        timeout = params.number("timeout", timeout, 0, MAX_CONNECTIONS_WAIT)
        held = swarm.wait_until(lambda: len(swarm.connections) >= count, caller.hold_for(timeout, MAX_CONNECTIONS_WAIT))
        await caller.unless_gone(held)
        return len(swarm.connections)

    @registry.method
    async def addnode(node_addr, command):
        """Add ("add"), remove ("remove") or try once ("onetry") a peer: HOST:PORT or a multiaddr (/dns4/HOST/tcp/PORT)."""
        addr = _parse_addr(node_addr)
        known = {a.dial_addr for a in swarm.peer_addrs()}
        if command == "add":
            if addr.dial_addr in known:
                raise RpcFailure(CLIENT_NODE_ALREADY_ADDED, "Error: Node already added")
            swarm.add_peer(addr)
        elif command == "remove":
            if not swarm.remove_peer(addr.dial_addr):
                raise RpcFailure(CLIENT_NODE_NOT_ADDED, "Error: Node could not be removed. It has not been added previously.")
        elif command == "onetry":
            swarm.spawn(_dial_once(swarm, addr))
        else:
            raise RpcFailure(INVALID_PARAMETER, "command must be add, remove or onetry")
        return None

    @registry.method
    async def disconnectnode(address="", nodeid=None):
        """Disconnect a peer by address, node name or PeerID, or by nodeid (getpeerinfo's id)."""
        if nodeid is not None:
            match = [c for c in swarm.connections.values() if c.id == nodeid]
            target = match[0].peer_id if match else ""
        else:
            target = address
        if not target or not swarm.disconnect(target):
            raise RpcFailure(CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes")
        return None

    @registry.method
    async def acceptpeeridentity(address, peerid=None):
        """Trust the new identity at a peer address (default: the one last refused there)."""
        addr = _parse_addr(address)
        if peerid is not None:
            params.string("peerid", peerid, 200)
        try:
            accepted = swarm.peerstore.accept(addr.dial_addr, peerid)
        except KeyError as exc:
            raise RpcFailure(INVALID_PARAMETER, f"no changed identity was refused at {addr.dial_addr}") from exc
        return {"address": addr.dial_addr, "peerid": accepted}

    @registry.method
    async def listpeeridentities():
        """The trust-on-first-use peerstore: address -> expected PeerID, and identities refused."""
        return {"trusted": dict(swarm.peerstore.trusted), "refused": dict(swarm.peerstore.refused)}

    @registry.method
    async def setlinkfilter(blocked, loss=None, delay=None, seed=None):
        """Admin: cut links to `blocked` peers (names or PeerIDs), drop frames to peers in `loss`
        ({peer: probability 0..1}) and delay them in `delay` ({peer: milliseconds 0..MAX_DELAY_MS});
        all empty heals. `seed` (an integer for every link, or {peer: integer}) makes the loss
        pattern replayable."""
        blocked = params.strings("blocked", blocked, MAX_FILTER_PEERS)
        loss = {peer: params.number(f"loss[{peer!r}]", p, 0, 1)
                for peer, p in params.mapping("loss", loss, MAX_FILTER_PEERS).items()}
        delay = {peer: params.number(f"delay[{peer!r}]", ms, 0, MAX_DELAY_MS)
                 for peer, ms in params.mapping("delay", delay, MAX_FILTER_PEERS).items()}
        seeds = _seeds(seed, set(loss) | set(delay))
        shapes = {peer: LinkShape(loss.get(peer, 0.0), delay.get(peer, 0.0) / 1000, seeds.get(peer))
                  for peer in set(loss) | set(delay)}
        swarm.set_link_filter(set(blocked), shapes)
        return {"blocked": sorted(swarm.blocked), "shaped": sorted(shapes), "seeded": sorted(seeds)}


def _seeds(seed, peers: set[str]) -> dict[str, int]:
    """{peer: seed} from one seed for every shaped link or a seed per peer."""
    if seed is None:
        return {}
    if isinstance(seed, dict):
        if not all(isinstance(k, str) and _is_int(v) for k, v in seed.items()):
            raise RpcFailure(INVALID_PARAMETER, "seed must be an integer or {peer: integer}")
        return {peer: value for peer, value in seed.items() if peer in peers}
    if not _is_int(seed):
        raise RpcFailure(INVALID_PARAMETER, "seed must be an integer or {peer: integer}")
    return dict.fromkeys(peers, seed)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
