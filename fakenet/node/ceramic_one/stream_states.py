"""A stream's state as ceramic-one has it: built from the events the node accepted. The stream
service holds Models and MIDs in its cache (and pin store); once the cache has evicted one, or a
restart emptied it, its events are still in the feed (their durable owner), and this rebuilds the
stream from them (StreamService.restore: every branch replayed and verified as a load verifies a
peer's answer, the conflict rules picking the tip) before the node takes a new event of it
(ingest.py), answers GET /ceramic/streams/{id} (api.py), or checks a MID against its Model.

The work is one indexed read of the stream's rows (off the event loop on disk; a memory store,
the sim's, answers at once, as StreamService's reads do) and one replay per branch, so it grows
with the events of that stream this node accepted, and a stream still held costs nothing.
"""

from __future__ import annotations

import asyncio

from multiformats import CID

from fakenet.node.streams import CachedStream, StreamID, StreamState
from fakenet.node.streams.streamid import MID, MODEL


async def held(streams, feed, stream_id: StreamID) -> CachedStream | None:
    """What this node holds of the stream (cache, pin store), else what its events in the feed rebuild."""
    found = await streams.find(stream_id)
    return found if found is not None else await rebuilt(streams, feed, stream_id)


async def rebuilt(streams, feed, stream_id: StreamID) -> CachedStream | None:
    """The stream rebuilt from the feed's events of it and held again; None if the feed has none,
    or if they do not make a log that verifies (then only the network can give it)."""
    blocks = await _off_loop(feed, feed.of_stream, stream_id)
    if not blocks or await streams.restore(stream_id, blocks) is None:
        return None
    return streams.held(stream_id)


async def of_init(streams, feed, init: CID) -> CachedStream | None:
    """The stream an init event started, if this node took that event: held, or rebuilt from the
    feed's events, or, where those do not make a verified log (one through an anchor commit,
    which is no event, or rows from before the feed kept bytes), loaded from the network
    (StreamUnavailable if no holder answers)."""
    for kind in (MID, MODEL):  # Models take no data events: a MID first
        if (found := streams.held(StreamID(kind, init))) is not None:
            return found
    stream = await _off_loop(feed, feed.has, init)
    if stream is None:
        return None
    stream_id = StreamID.parse(stream)
    if (found := await rebuilt(streams, feed, stream_id)) is not None:
        return found
    await streams.load(stream_id)
    return streams.held(stream_id)


async def load(streams, feed, stream_id: StreamID) -> StreamState:
    """StreamService.load, with the feed's events before the network: a stream this node accepted
    events of loads from them when the cache no longer holds it (and syncs, as a stale one does)."""
    await held(streams, feed, stream_id)
    return await streams.load(stream_id)


async def _off_loop(feed, read, *args):
    if feed.file.in_memory:  # no disk to wait on, and a thread would let real time into the sim's
        return read(*args)
    return await asyncio.to_thread(read, *args)
