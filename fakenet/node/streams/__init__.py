"""The data layer of a Ceramic-style stream node: a synchronous library, no I/O but SQLite.

    codec.py      dag-cbor blocks named by CIDv1/sha2-256; decoding checks the hash
    jose.py       Ceramic's DAG-JOSE signed commits: sign, store, read from and write to the wire
    streamid.py   StreamID / CommitID (CIP-59, base36 `k…` text)
    keys.py       controllers: ed25519 keys as did:key DIDs; sign and verify
    commits.py    genesis / update / anchor commits: build, sign, open
    state.py      StreamState and the rules that apply commits to it; rebuild from blocks
    conflict.py   which of two logs of one stream wins (Ceramic's rules)
    cache.py      the in-memory LRU that holds unpinned streams
    pinstore.py   the durable SQLite store of pinned streams and raw blocks
    errors.py     CommitRejected, MissingCommit, StreamNotFound, StreamUnavailable

The node (swarm, HTTP APIs, anchoring against the chain) is built on top of this package;
nothing here imports from it. Block encoding and signature checks are used through their
modules (`codec.encode`, `codec.decode`, `keys.verify`), whose bare names would be ambiguous here.
"""

from fakenet.node.streams import codec, commits, jose, keys
from fakenet.node.streams.cache import CachedStream, StreamCache
from fakenet.node.streams.codec import as_cid, cid_of
from fakenet.node.streams.commits import make_anchor, make_genesis, make_update
from fakenet.node.streams.conflict import pick, settle
from fakenet.node.streams.errors import CommitRejected, MissingCommit, StreamNotFound, StreamUnavailable
from fakenet.node.streams.keys import ControllerKey, InvalidDid
from fakenet.node.streams.pinstore import PinStore
from fakenet.node.streams.state import (
    AnchorStatus,
    LogEntry,
    StreamState,
    apply_anchor,
    apply_commit,
    apply_genesis,
    first_missing,
    heads,
    rebuild,
    replay_steps,
    without_anchor,
)
from fakenet.node.streams.streamid import TILE, CommitID, InvalidStreamID, StreamID

__all__ = [
    "AnchorStatus",
    "CachedStream",
    "CommitID",
    "CommitRejected",
    "ControllerKey",
    "InvalidDid",
    "InvalidStreamID",
    "LogEntry",
    "MissingCommit",
    "PinStore",
    "StreamCache",
    "StreamID",
    "StreamNotFound",
    "StreamUnavailable",
    "StreamState",
    "TILE",
    "apply_anchor",
    "apply_commit",
    "apply_genesis",
    "as_cid",
    "cid_of",
    "codec",
    "commits",
    "heads",
    "jose",
    "keys",
    "make_anchor",
    "make_genesis",
    "make_update",
    "pick",
    "first_missing",
    "rebuild",
    "replay_steps",
    "settle",
    "without_anchor",
]
