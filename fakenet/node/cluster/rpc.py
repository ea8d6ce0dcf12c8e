"""JSON-RPC methods of the cluster (what `cli clusterpin …` calls).

    clusterpinadd streamid (rmin) (rmax) (name)   add or update an item of the shared pinset
    clusterpinrm streamid                          remove an item
    clusterpinls (streamid)                        items with their current allocations
    clusterpinstatus (streamid)                    every peer's status of items
    clusterrecover (streamid)                      retry failed pins, on every peer
    clusterpeers                                   peers heard from, live or down
    clusterid                                      this cluster peer

Errors: a bad stream id or replication factor is -8; an id not in the pinset is -5 (bitcoin-core's
"not found"); fewer live peers than rmin is -9 (bitcoin-core's "not connected").
"""

from __future__ import annotations

from fakenet.node.cluster import params, views
from fakenet.node.cluster.errors import NotEnoughPeers, NotInPinset
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.errors import INVALID_ADDRESS_OR_KEY, INVALID_PARAMETER, RpcFailure, mapped

NOT_FOUND = INVALID_ADDRESS_OR_KEY
NOT_ENOUGH_PEERS = -9  # bitcoin-core's RPC_CLIENT_NOT_CONNECTED


def _checked(check, *args):
    try:
        return check(*args)
    except ValueError as exc:
        raise RpcFailure(INVALID_PARAMETER, str(exc)) from exc


async def _guarded(coroutine):
    return await mapped(coroutine, ((NotInPinset, NOT_FOUND), (NotEnoughPeers, NOT_ENOUGH_PEERS)))


def register(registry: Registry, node) -> None:
    def cluster():
        return node.cluster

    def entry(streamid):
        stream_id = _checked(params.stream_id, streamid)
        found = cluster().pinset.get(stream_id)
        if found is None:
            raise RpcFailure(NOT_FOUND, str(NotInPinset(stream_id)))
        return found

    @registry.method
    async def clusterpinadd(streamid, rmin=None, rmax=None, name=None):
        """Pin a stream across the cluster on rmax peers (at least rmin live); -1/-1 (the default) is every peer."""
        stream_id = _checked(params.stream_id, streamid)
        low, high = _checked(params.factors, rmin, rmax)
        added = await _guarded(cluster().add(stream_id, low, high, str(name or "")))
        return views.pin_json(cluster(), added)

    @registry.method
    async def clusterpinrm(streamid):
        """Remove a stream from the cluster pinset; peers that pinned it for the cluster unpin it."""
        removed = await _guarded(cluster().remove(_checked(params.stream_id, streamid)))
        return {**views.pin_json(cluster(), removed), "allocations": [], "peernames": []}

    @registry.method
    async def clusterpinls(streamid=None):
        """Items of the shared pinset with their allocations (this node's view of the live peers)."""
        if streamid is not None:
            return views.pin_json(cluster(), entry(streamid))
        return [views.pin_json(cluster(), item) for item in cluster().pinset.items()]

    @registry.method
    async def clusterpinstatus(streamid=None):
        """Each peer's status of an item (pinned, pinning, pin_error, unpinned, remote, cluster_error)."""
        if streamid is not None:
            return views.status_json(cluster(), _checked(params.stream_id, streamid))
        return views.statuses_json(cluster())

    @registry.method
    async def clusterrecover(streamid=None):
        """Retry failed pins (of one item, or all) now, on every peer; returns the status(es)."""
        stream_id = None if streamid is None else _checked(params.stream_id, streamid)
        await _guarded(cluster().recover(stream_id))
        return views.status_json(cluster(), stream_id) if stream_id else views.statuses_json(cluster())

    @registry.method
    async def clusterpeers():
        """This node and every peer it has heard a heartbeat from: live, or down (error says since when)."""
        return views.peers_json(cluster())

    @registry.method
    async def clusterid():
        """This cluster peer: PeerID, name, addresses, live peers, TTL and whether repinning is on."""
        return views.id_json(cluster())
