"""Errors of the stream data layer, under the one fakenet root.

NodeError
├── CommitRejected   a commit or block that is not valid for its stream (the message says why)
├── MissingCommit    a commit needed to replay a stream is not among the blocks (`stream_id`, `cid`)
├── StreamNotFound   a stream that the store or cache asked does not hold (`stream_id`)
└── StreamUnavailable  neither this node nor any peer it reached could supply a commit in time
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakenet.node.errors import NodeError

if TYPE_CHECKING:
    from multiformats import CID

    from fakenet.node.streams.streamid import StreamID


class CommitRejected(NodeError):
    """A commit that must not be applied: bad hash, bad signature, wrong stream, wrong prev, bad shape."""


class MissingCommit(NodeError):
    """A prev link points at a block we do not have; the caller can fetch `cid` and retry."""

    def __init__(self, stream_id: StreamID | None, cid: CID):
        stream = stream_id.encode() if stream_id is not None else "an unknown stream"
        super().__init__(f"missing commit {_text(cid)} of {stream}")
        self.stream_id = stream_id
        self.cid = cid


class StreamNotFound(NodeError):
    """The stream is not held where it was looked for."""

    def __init__(self, stream_id: StreamID):
        super().__init__(f"stream {stream_id.encode()} not found")
        self.stream_id = stream_id


class StreamUnavailable(NodeError):
    """Loading failed: a commit (the genesis, when no peer answered at all) could not be found."""

    def __init__(self, stream_id: StreamID, cid: CID, detail: str):
        super().__init__(f"stream {stream_id.encode()} is unavailable: commit {_text(cid)} {detail}")
        self.stream_id = stream_id
        self.cid = cid


def _text(cid: CID) -> str:
    """The CID's base32 text through codec's cache: multiformats takes ~0.6 ms to print one, and a
    load of a stream some node lacks raises one of these at each hop."""
    from fakenet.node.streams.codec import cid_text  # bound late: codec imports this module

    return cid_text(cid)
