"""JSON-RPC twins of the stream API, for `cli` and the harness."""

from __future__ import annotations

from fakenet.node.errors import NodeError
from fakenet.node.rpc import params
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.errors import INVALID_PARAMETER, RpcFailure, mapped
from fakenet.node.streams import CommitRejected, InvalidStreamID, StreamID, StreamUnavailable

STREAM_UNAVAILABLE = -33  # fakenet's own code: no node reachable from here holds the stream
COMMIT_REJECTED = -26  # bitcoin-core's RPC_VERIFY_REJECTED


def _parse(streamid) -> StreamID:
    try:
        return StreamID.parse(str(streamid))
    except InvalidStreamID as exc:
        raise RpcFailure(INVALID_PARAMETER, str(exc)) from exc


def register(registry: Registry, node) -> None:
    def service():
        return node.streams

    async def guarded(coroutine):
        return await mapped(coroutine, ((StreamUnavailable, STREAM_UNAVAILABLE), (CommitRejected, COMMIT_REJECTED),
                                        (NodeError, INVALID_PARAMETER)))

    @registry.method
    async def createstream(content, pin=False, family=None, tags=None):
        """Create a tile stream controlled by this node's key; returns its state."""
        state = await guarded(service().create(content, family=family, tags=tags, pin=bool(pin)))
        return state.to_json()

    @registry.method
    async def updatestream(streamid, content):
        """Replace a stream's content (signed by this node's key, which must be a controller)."""
        return (await guarded(service().update(_parse(streamid), content))).to_json()

    @registry.method
    async def loadstream(streamid):
        """Load a stream: cache, then pin store (synced since the last new connection, else synced now),
        then the network (sync timeout applies)."""
        return (await guarded(service().load(_parse(streamid)))).to_json()

    @registry.method
    async def pinstream(streamid):
        """Pin a stream: its commits and state are kept durably in the state store."""
        await guarded(service().pin(_parse(streamid)))
        return {"streamId": str(streamid), "isPinned": True}

    @registry.method
    async def unpinstream(streamid):
        """Unpin a stream: it lives on only in the cache, until evicted or restarted away."""
        return {"streamId": str(streamid), "isPinned": False, "wasPinned": service().unpin(_parse(streamid))}

    @registry.method
    async def listpins():
        """Pinned stream ids, oldest pin first."""
        return [stream_id.encode() for stream_id in service().pins.list()]

    @registry.method
    async def getcacheinfo():
        """Stream cache: size, limit, bytes, byte limit and ids from least to most recently used."""
        return service().cache_info()

    @registry.method
    async def evictstreams(count=None, ids=None):
        """Admin: evict the `count` least recently used streams, or the given ids, from the cache."""
        if count is None and ids is None:
            raise RpcFailure(INVALID_PARAMETER, "give count or ids")
        count = params.integer("count", count, 0, 10**9) if count is not None else None
        ids = [_parse(i) for i in params.strings("ids", ids)] if ids is not None else None
        evicted = service().evict(count=count, ids=ids)
        return [stream_id.encode() for stream_id in evicted]

    @registry.method
    async def getstreaminfo():
        """Stream figures for -getinfo: cached, pinned, cache limit, pending anchors."""
        return {"cached": len(service().cache), "pinned": len(service().pins.list()),
                "cachelimit": service().cache.limit, "pendinganchors": len(node.anchors.pending)}
