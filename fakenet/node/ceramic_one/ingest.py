"""Storing one event (CID and the commit the store keeps) in the stream store: an init event starts
a stream, a data event extends the stream its `id` names: held, or rebuilt from the feed's events
of it (stream_states.py) once the stream cache has let it go, so it is refused for want of an init
event only if the node has none. The HTTP API and Recon both come here, so an event synced from a
peer passes every check a posted one does (CID, signature, schema).

`anchor` is False for an event synced from a peer: the node it was written to (a POST to its 5101,
a write on its 7007) requests its anchor, as ceramic-one's anchor service does; its peers do not.

`models`, when given, is the set of Model ids (bytes) the event must belong to: Recon takes only
events of the interests this node registered, and finds an event's Model from the verified init
event or the stream it already holds, never from what the sending peer claims.
"""

from __future__ import annotations

from multiformats import CID

from fakenet.node.ceramic_one import stream_states
from fakenet.node.ceramic_one.feed import model_bytes
from fakenet.node.errors import NodeError
from fakenet.node.streams import CachedStream, StreamUnavailable, codec


class MissingInit(NodeError):
    """A data event arrived before its stream's init event."""


class OutsideInterest(NodeError):
    """An event of a Model this node did not register an interest in."""


async def store(streams, feed, cid: CID, data: bytes, models: set[bytes] | None = None, anchor: bool = True) -> None:
    obj = codec.decode(cid, data)
    payload = obj.get("payload") if isinstance(obj, dict) else None
    if isinstance(payload, dict) and "id" in payload:
        state = (await stream_of(streams, feed, codec.as_cid(payload["id"]))).state
        _check(state.model, models, cid)
        await streams.apply(state.stream_id, cid, data, anchor=anchor, decoded=obj)
    else:
        _check_init(payload if isinstance(payload, dict) else obj, models, cid)
        await streams.create_from_genesis(cid, data, anchor=anchor, decoded=obj)


async def stream_of(streams, feed, init: CID) -> CachedStream:
    """The stream the init event starts, as held, or rebuilt from the feed's events of it (evicted
    from the stream cache, or the node restarted since): every event the node accepted counts."""
    try:
        found = await stream_states.of_init(streams, feed, init)
    except StreamUnavailable as exc:
        raise MissingInit(f"the events of {exc.stream_id.encode()} on this node do not rebuild it, and {exc}") from exc
    if found is None:
        raise MissingInit(f"no init event {init} on this node: post the stream's init event first")
    return found


def _check(model: str | None, models: set[bytes] | None, cid: CID) -> None:
    if models is not None and (model is None or model_bytes(model) not in models):
        raise OutsideInterest(f"event {cid} is of model {model}, which this node has no interest in")


def _check_init(commit, models: set[bytes] | None, cid: CID) -> None:
    """An init event's Model, from its header: the block already matched its CID, and the store
    verifies its signature before keeping it, so the header is the event's own (no second decode)."""
    header = commit.get("header") if isinstance(commit, dict) else None
    model = header.get("model") if isinstance(header, dict) else None
    if models is not None and model not in models:
        raise OutsideInterest(f"init event {cid} names a model this node has no interest in")
