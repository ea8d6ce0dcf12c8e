"""The state of a stream (tile, Model or ModelInstanceDocument) and the rules for moving it
forward one commit at a time.

A state is what replaying its log yields: content, controllers and anchor status. Every
`apply_*` checks a commit against the state it extends and returns a new state or raises
CommitRejected; nothing here touches the network, the chain or a clock.

A tip a peer gossips is checked against the state a node holds at the cost of what is new in it
(`gossip_steps`): the held log is not replayed for an older tip, an extension or a losing fork.

Anchor status: a stream created or updated on this node starts PENDING (the node asks for an
anchor at once, as Ceramic does); one replayed from a peer's commits is NOT_REQUESTED until
an anchor arrives; ANCHORED while the tip is an anchor commit.

The stream type is read from the genesis header, as Ceramic's handlers tell them apart: no
`model` is a tile; the meta-model (model_stream.META_MODEL) is a Model; any other Model id is a
MID. Checks that need the Model's content (the schema, unique fields) are the node's
(model_rules.py), which holds the Model; the rules here need nothing but the commits.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable

import jsonpatch
import jsonpointer
from multiformats import CID

from fakenet.node import excerpt
from fakenet.node.streams import codec, commits, mid, model_stream
from fakenet.node.streams.errors import CommitRejected, MissingCommit
from fakenet.node.streams.streamid import MID, MODEL, TILE, StreamID

# Ceramic's CommitType numbering, used in the JSON log so existing clients read it.
STEP = 64  # commits decoded or replayed between a replay's yields (replay_steps)
_TYPE_NUMBERS = {"genesis": 0, "update": 1, "anchor": 2}
_TYPE_NAMES = {number: name for name, number in _TYPE_NUMBERS.items()}


# Whether an anchor proof of (stream, tip it anchors) holds on this node's best chain. Anchor commits
# are unsigned, so anyone can write one: only the chain makes it count.
AnchorCheck = Callable[[StreamID, CID, dict], bool]


class AnchorStatus(StrEnum):
    NOT_REQUESTED = "NOT_REQUESTED"
    PENDING = "PENDING"
    ANCHORED = "ANCHORED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class LogEntry:
    """One commit of the log; anchors carry the height and hash of the chain block proving them
    (both None once that block has been reorged out of the chain)."""

    cid: CID
    kind: str
    anchor_height: int | None = None
    anchor_block: str | None = None

    @functools.cached_property
    def text(self) -> str:
        """The CID's base32 text, printed once per entry: a state's to_json lists every entry of its
        log, and each update of a stream makes a state sharing all the entries before it."""
        return codec.cid_text(self.cid)

    def to_json(self) -> dict:
        entry: dict[str, Any] = {"cid": self.text, "type": _TYPE_NUMBERS[self.kind]}
        if self.anchor_height is not None:
            entry.update(anchorHeight=self.anchor_height, anchorBlock=self.anchor_block)
        return entry

    @classmethod
    def from_json(cls, entry: dict) -> LogEntry:
        return cls(codec.as_cid(entry["cid"]), _TYPE_NAMES[entry["type"]],
                   entry.get("anchorHeight"), entry.get("anchorBlock"))


@dataclass(frozen=True)
class StreamState:
    """Immutable, but `content` is the decoded JSON itself: treat it as read-only."""

    stream_id: StreamID
    controllers: tuple[str, ...]
    content: Any
    log: tuple[LogEntry, ...]
    anchor_status: AnchorStatus = AnchorStatus.NOT_REQUESTED
    anchor_proof: dict | None = None
    family: str | None = None
    tags: tuple[str, ...] = ()
    model: str | None = None  # Models and MIDs: the Model's stream id (for a Model, the meta-model's)
    unique: bytes | None = None  # MIDs: header.unique
    should_index: bool | None = None  # MIDs: the last shouldIndex an update set

    @property
    def tip(self) -> CID:
        return self.log[-1].cid

    def index(self) -> dict[CID, int]:
        """Each commit of the log by its position, built once per state (states are immutable): a
        gossiped tip is looked up in it for every update a peer sends (gossip_steps)."""
        found = self.__dict__.get("_index")
        if found is None:
            found = {entry.cid: at for at, entry in enumerate(self.log)}
            object.__setattr__(self, "_index", found)
        return found

    def to_json(self) -> dict:
        """Ceramic's HTTP API shape (`{"streamId", "state": {...}}`); also how the pin store keeps it."""
        return {"streamId": self.stream_id.encode(), "state": {
            "type": self.stream_id.type, "content": self.content, "metadata": self.metadata(),
            "log": [entry.to_json() for entry in self.log],
            "anchorStatus": self.anchor_status.value, "anchorProof": self.anchor_proof,
        }}

    def metadata(self) -> dict:
        """js-ceramic's serializeState: controllers, family and tags; for Models and MIDs the model as
        text and unique as base64. One shape for the pin store and for every API answer."""
        metadata: dict[str, Any] = {"controllers": list(self.controllers)}
        if self.family is not None:
            metadata["family"] = self.family
        if self.tags:
            metadata["tags"] = list(self.tags)
        if self.model is not None:
            metadata["model"] = self.model
        if self.unique is not None:
            metadata["unique"] = base64.b64encode(self.unique).decode()
        if self.should_index is not None:
            metadata["shouldIndex"] = self.should_index
        return metadata

    @classmethod
    def from_json(cls, doc: dict) -> StreamState:
        state, metadata = doc["state"], doc["state"]["metadata"]
        return cls(
            StreamID.parse(doc["streamId"]), tuple(metadata["controllers"]), state["content"],
            tuple(LogEntry.from_json(entry) for entry in state["log"]),
            AnchorStatus(state["anchorStatus"]), state.get("anchorProof"),
            metadata.get("family"), tuple(metadata.get("tags", ())),
            metadata.get("model"),
            base64.b64decode(metadata["unique"]) if "unique" in metadata else None,
            metadata.get("shouldIndex"),
        )


def _fresh(local: bool) -> AnchorStatus:
    return AnchorStatus.PENDING if local else AnchorStatus.NOT_REQUESTED


def apply_genesis(cid: CID, data: bytes, *, local: bool = False, decoded: Any = None) -> StreamState:
    """The state a genesis commit starts; `local` when this node just created it. `decoded` is
    `codec.decode(cid, data)` when the caller has just made it (decoding checks the bytes against
    the CID and is most of an event's cost: done once, not once per layer)."""
    return _genesis(codec.as_cid(cid), codec.decode(cid, data) if decoded is None else decoded, local)


def apply_commit(state: StreamState, cid: CID, data: bytes, *, local: bool = False, decoded: Any = None) -> StreamState:
    """Apply a signed update; anchors go through `apply_anchor` once their proof is checked.
    `decoded` as for apply_genesis."""
    cid = codec.as_cid(cid)
    obj = codec.decode(cid, data) if decoded is None else decoded
    if commits.kind_of(obj) != "update":
        raise CommitRejected(f"commit {cid} is a {commits.kind_of(obj)} commit, not an update "
                             f"(anchors are applied with apply_anchor after checking their proof)")
    return _update(state, cid, obj, local)


def apply_anchor(state: StreamState, cid: CID, data: bytes) -> StreamState:
    """Append an anchor commit whose proof the caller has already checked against its chain."""
    cid = codec.as_cid(cid)
    obj = codec.decode(cid, data)
    if commits.kind_of(obj) != "anchor":
        raise CommitRejected(f"commit {cid} is a {commits.kind_of(obj)} commit, not an anchor")
    return _anchor(state, cid, obj)


def _genesis(cid: CID, obj: Any, local: bool) -> StreamState:
    if commits.kind_of(obj) != "genesis":
        raise CommitRejected(f"commit {cid} is a {commits.kind_of(obj)} commit, not a genesis")
    payload, signer = commits.open_genesis(cid, obj)
    header = commits.field(cid, payload, "header", dict)
    controllers = tuple(commits.field(cid, header, "controllers", list))
    if not controllers or not all(isinstance(did, str) for did in controllers):
        raise CommitRejected(f"genesis {cid}: controllers must be a non-empty list of DIDs")
    if signer is not None and signer not in controllers:
        raise CommitRejected(f"genesis {cid} not signed by one of its controllers {list(controllers)}: "
                             f"signed by {signer}")
    commits.check_json(cid, payload.get("data"))
    if "model" in header:
        return _model_genesis(cid, header, payload, signer, local)
    family, tags = _family_and_tags(cid, header)
    return StreamState(StreamID(TILE, cid), controllers, payload.get("data"),
                       (LogEntry(cid, "genesis"),), _fresh(local), None, family, tags)


def _model_genesis(cid: CID, header: dict, payload: dict, signer: str | None, local: bool) -> StreamState:
    """A Model (header.model is the meta-model) or a MID (header.model is a Model)."""
    if len(header["controllers"]) != 1:
        raise CommitRejected(f"genesis {cid}: exactly one controller must be specified")
    if header["model"] == model_stream.META_MODEL_BYTES:
        if signer is None:
            raise CommitRejected(f"genesis {cid}: Model genesis commit must be signed")
        model_stream.check_definition(payload.get("data"))
        return StreamState(StreamID(MODEL, cid), tuple(header["controllers"]), payload["data"],
                           (LogEntry(cid, "genesis"),), _fresh(local), model=model_stream.META_MODEL)
    content = payload.get("data") if signer is not None else None  # js-ceramic: data || null
    return StreamState(StreamID(MID, cid), tuple(header["controllers"]), content, (LogEntry(cid, "genesis"),),
                       _fresh(local), model=mid.model_of(header).encode(), unique=mid.unique_of(header))


def _family_and_tags(cid: CID, header: dict) -> tuple[str | None, tuple[str, ...]]:
    family, tags = header.get("family"), header.get("tags", [])
    if family is not None and not isinstance(family, str):
        raise CommitRejected(f"genesis {cid}: family must be a string, got {excerpt.quoted(family)}")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise CommitRejected(f"genesis {cid}: tags must be a list of strings, got {excerpt.quoted(tags)}")
    return family, tuple(tags)


def _check_link(state: StreamState, cid: CID, payload: Any) -> None:
    """The commit must name this stream and extend its current tip."""
    _check_link_to(state.stream_id, state.tip, cid, payload)


def _check_link_to(stream_id: StreamID, tip: CID, cid: CID, payload: Any) -> None:
    genesis = commits.field(cid, payload, "id", CID)
    if genesis != stream_id.genesis:
        other = StreamID(stream_id.type, genesis).encode()
        raise CommitRejected(f"commit {cid} belongs to stream {other}, not {stream_id}")
    prev = commits.field(cid, payload, "prev", CID)
    if prev != tip:
        raise CommitRejected(f"unknown prev {prev} for {stream_id}")


def _update(state: StreamState, cid: CID, obj: Any, local: bool) -> StreamState:
    payload, signer = commits.open_signed(cid, obj)
    _check_link(state, cid, payload)
    if signer not in state.controllers:
        raise CommitRejected(f"update not signed by a controller of {state.stream_id}: signed by {signer}")
    if state.stream_id.type == MODEL:
        raise CommitRejected(f"Cannot update a finalized Model ({state.stream_id})")
    header = payload.get("header")
    should_index = mid.check_update_header(header) if state.stream_id.type == MID else state.should_index
    if state.stream_id.type != MID and header is not None and not isinstance(header, dict):
        raise CommitRejected(f"commit {cid}: field 'header' is not a map")
    before = state.content if state.content is not None else {}  # js-ceramic: content ?? {}
    content = _patched(cid, before, commits.field(cid, payload, "data", list))
    return _appended(state, LogEntry(cid, "update"), content=content, anchor_status=_fresh(local),
                     should_index=should_index if should_index is not None else state.should_index)


def _appended(state: StreamState, entry: LogEntry, **changes: Any) -> StreamState:
    """`state` with `entry` at the end of its log; its index (StreamState.index), if built, carried
    over: a dict copy, where building it again hashes every CID of the log (a long stream's writer
    looks each new commit up in it)."""
    after = dataclasses.replace(state, log=state.log + (entry,), **changes)
    if (index := state.__dict__.get("_index")) is not None:
        object.__setattr__(after, "_index", {**index, entry.cid: len(state.log)})
    return after


def _patched(cid: CID, content: Any, ops: list) -> Any:
    try:
        patched = jsonpatch.apply_patch(content, ops)  # copies: the old state keeps its content
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError) as exc:
        raise CommitRejected(f"bad JSON-Patch in commit {cid}: {exc}") from exc
    commits.check_json(cid, patched)
    return patched


def _anchor(state: StreamState, cid: CID, obj: Any) -> StreamState:
    _check_link(state, cid, obj)
    proof = obj.get("proof")
    commits.check_proof(proof)
    entry = LogEntry(cid, "anchor", proof["blockHeight"], proof["blockHash"])
    return _appended(state, entry, anchor_status=AnchorStatus.ANCHORED, anchor_proof=dict(proof))


def rebuild(blocks: Mapping[CID, bytes], tip: CID, *, stream_id: StreamID | None = None,
            anchor_check: AnchorCheck | None = None) -> StreamState:
    """Replay a stream from its tip's prev links back to genesis, e.g. after fetching the
    commits from peers.

    With `anchor_check`, an anchor whose proof does not hold on the caller's chain (forged, or
    in a block this node does not have on its best chain) stays in the log but does not count
    as anchored, like one whose block was reorged out; unproven anchors at the end of the log
    are dropped, so a peer cannot move a stream to a commit nobody signed. Without it, proofs
    are taken on trust: only for blocks this node wrote itself."""
    steps = replay_steps(blocks, tip, stream_id=stream_id, anchor_check=anchor_check)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def replay_steps(blocks: Mapping[CID, bytes], tip: CID, *, stream_id: StreamID | None = None,
                 anchor_check: AnchorCheck | None = None) -> Generator[None, None, StreamState]:
    """`rebuild` as steps: a generator that yields after every STEP commits it walks or replays and
    returns the state. A node replaying a long log a peer sent (up to the load's bound of commits)
    drives it from its event loop and lets other work run between steps (StreamService)."""
    chain = yield from _walk_steps(blocks, codec.as_cid(tip), stream_id)
    state = _genesis(*chain[0], local=False)
    if stream_id is not None and state.stream_id != stream_id:
        raise CommitRejected(f"tip {tip} leads to stream {state.stream_id}, not {stream_id}")
    state = yield from _applied_steps(state, chain[1:], anchor_check)
    return _without_unproven_tail(state)


def _applied_steps(state: StreamState, chain: list[tuple[CID, Any]], anchor_check: AnchorCheck | None
                   ) -> Generator[None, None, StreamState]:
    """`state` moved along `chain` (commits after its tip, oldest first), every commit checked."""
    for replayed, (cid, obj) in enumerate(chain, 1):
        if commits.kind_of(obj) == "genesis":
            raise CommitRejected(f"commit {cid} is a genesis commit, not an update or anchor of {state.stream_id}")
        if commits.kind_of(obj) != "anchor":
            state = _update(state, cid, obj, local=False)
        elif anchor_check is None or _proven(state, obj, anchor_check):
            state = _anchor(state, cid, obj)
        else:
            state = _unproven_anchor(state, cid, obj)
        if replayed % STEP == 0:
            yield
    return state


def _proven(state: StreamState, obj: Any, anchor_check: AnchorCheck) -> bool:
    proof = obj.get("proof")
    commits.check_proof(proof)
    return anchor_check(state.stream_id, state.tip, proof)


def _unproven_anchor(state: StreamState, cid: CID, obj: Any) -> StreamState:
    _check_link(state, cid, obj)
    commits.check_proof(obj.get("proof"))
    return dataclasses.replace(state, log=state.log + (LogEntry(cid, "anchor"),))


def _without_unproven_tail(state: StreamState) -> StreamState:
    log = state.log
    while log[-1].kind == "anchor" and log[-1].anchor_height is None:
        log = log[:-1]
    return state if log == state.log else dataclasses.replace(state, log=log)


def _walk_steps(blocks: Mapping[CID, bytes], tip: CID, stream_id: StreamID | None
                ) -> Generator[None, None, list[tuple[CID, Any]]]:
    """[(cid, decoded commit)] from genesis to tip, yielding every STEP commits decoded; content
    addressing rules out cycles."""
    chain, cid = [], tip
    while True:
        data = blocks.get(cid)
        if data is None:
            raise MissingCommit(stream_id, cid)
        obj = codec.decode(cid, data)
        chain.append((cid, obj))
        if len(chain) % STEP == 0:
            yield
        if commits.kind_of(obj) == "genesis":
            return chain[::-1]
        payload = obj if commits.kind_of(obj) == "anchor" else obj.get("payload")
        stream_id = stream_id or StreamID(TILE, commits.field(cid, payload, "id", CID))
        cid = commits.field(cid, payload, "prev", CID)


@dataclass(frozen=True)
class Gossiped:
    """What a tip a peer sent is to the state a node holds (`gossip_steps`): exactly one of
    `older` (the tip is in the held log: nothing to do), `state` (the held state moved along the
    new commits, each checked) or `branch` (a fork: the log to the tip, the held prefix to the
    common ancestor and then the branch's commits, signatures, links and anchor proofs checked
    but not their content, which takes the state at the fork point: `fork_steps`)."""

    older: bool = False
    state: StreamState | None = None
    branch: tuple[LogEntry, ...] | None = None
    fork: tuple[tuple[CID, Any], ...] = ()  # the branch's commits after the fork point, decoded
    fork_point: CID | None = None  # the last commit the branch shares with the held log


def fork_steps(base: StreamState, fork: tuple[tuple[CID, Any], ...], *, anchor_check: AnchorCheck | None = None
               ) -> Generator[None, None, StreamState]:
    """The state of a fork (Gossiped.fork) from `base`, the verified state at its fork point: its
    commits checked and applied as a replay does, without replaying the log before the fork."""
    moved = yield from _applied_steps(base, list(fork), anchor_check)
    return _without_unproven_tail(moved)


def gossip_steps(held: StreamState, blocks: Mapping[CID, bytes], tip: CID, *,
                 anchor_check: AnchorCheck | None = None) -> Generator[None, None, Gossiped]:
    """The tip a peer gossiped, checked against the state a node holds at the cost of what is new
    in it, not of the whole log (issue 24: an older tip or a bad commit on top made the holder replay
    its log from genesis, an honest update too). The walk from `tip` back along prev links stops at
    the first commit of the held log; the new commits are decoded once, in steps as replay_steps."""
    tip = codec.as_cid(tip)
    at = held.index()
    if tip in at:
        return Gossiped(older=True)
    chain, cid = [], tip
    while cid not in at:  # every walk ends at a held commit (the genesis at worst), or raises
        data = blocks.get(cid)
        if data is None:
            raise MissingCommit(held.stream_id, cid)
        obj = codec.decode(cid, data)
        chain.append((cid, obj))
        if len(chain) % STEP == 0:
            yield
        if commits.kind_of(obj) == "genesis":
            raise CommitRejected(f"tip {tip} leads to stream {StreamID(TILE, cid).encode()}, not {held.stream_id}")
        payload = obj if commits.kind_of(obj) == "anchor" else obj.get("payload")
        cid = commits.field(cid, payload, "prev", CID)
    chain.reverse()
    if cid == held.tip:
        moved = yield from _applied_steps(held, chain, anchor_check)
        return Gossiped(state=_without_unproven_tail(moved))
    branch = yield from _branch_steps(held, held.log[:at[cid] + 1], chain, anchor_check)
    return Gossiped(branch=branch, fork=tuple(chain), fork_point=cid)


def _branch_steps(held: StreamState, prefix: tuple[LogEntry, ...], chain: list[tuple[CID, Any]],
                  anchor_check: AnchorCheck | None) -> Generator[None, None, tuple[LogEntry, ...]]:
    """The log of a fork off `prefix` of the held log, each commit checked as `_update` and
    `_anchor` check it except the JSON patch (it needs the content at the fork point): enough for
    the conflict rules to say whether the fork could win, which it must before it is replayed."""
    log, stream_id = list(prefix), held.stream_id
    for walked, (cid, obj) in enumerate(chain, 1):
        kind = commits.kind_of(obj)
        if kind == "anchor":
            _check_link_to(stream_id, log[-1].cid, cid, obj)
            proof = obj.get("proof")
            commits.check_proof(proof)
            proven = anchor_check is None or anchor_check(stream_id, log[-1].cid, proof)
            log.append(LogEntry(cid, "anchor", proof["blockHeight"], proof["blockHash"]) if proven
                       else LogEntry(cid, "anchor"))
        elif kind == "update":
            payload, signer = commits.open_signed(cid, obj)
            _check_link_to(stream_id, log[-1].cid, cid, payload)
            if signer not in held.controllers:
                raise CommitRejected(f"update not signed by a controller of {stream_id}: signed by {signer}")
            if stream_id.type == MODEL:
                raise CommitRejected(f"Cannot update a finalized Model ({stream_id})")
            if stream_id.type == MID:
                mid.check_update_header(payload.get("header"))
            commits.field(cid, payload, "data", list)
            log.append(LogEntry(cid, "update"))
        else:
            raise CommitRejected(f"commit {cid} is a {kind} commit, not an update or anchor of {stream_id}")
        if walked % STEP == 0:
            yield
    while log[-1].kind == "anchor" and log[-1].anchor_height is None:
        log.pop()
    return tuple(log)


def heads(blocks: Mapping[CID, bytes]) -> list[CID]:
    """The commits of `blocks` that no other commit there names as its prev, in `blocks`' order:
    the tips of the logs (one per branch) the blocks of one stream hold, each for `rebuild`."""
    steps = heads_steps(blocks)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def heads_steps(blocks: Mapping[CID, bytes]) -> Generator[None, None, list[CID]]:
    """`heads` as steps that yield after every STEP commits decoded, as `replay_steps` does: a
    stream restored from the event feed may hold up to a load's bound of commits (StreamService.restore),
    seconds of decoding that its event loop runs between other work."""
    blocks = dict(blocks)  # the caller's map may change between steps; the answer is of this one
    named = set()
    for decoded, (cid, data) in enumerate(blocks.items(), 1):
        obj = codec.decode(cid, data)
        kind = commits.kind_of(obj)
        if kind != "genesis":
            named.add(commits.field(cid, obj if kind == "anchor" else obj.get("payload"), "prev", CID))
        if decoded % STEP == 0:
            yield
    return [cid for cid in blocks if cid not in named]


def first_missing(blocks: Mapping[CID, bytes], cid: CID, limit: int) -> tuple[CID | None, int]:
    """Following prev links from `cid` through `blocks`: the first commit not among them (None if
    the walk reaches the genesis) and how many commits it walked, at most `limit` + 1 (past that it
    stops, with None: the caller refuses the log as too long). A commit that does not decode
    ends the walk (None): rebuild, which replays the log anyway, says what is wrong."""
    walked = 0
    while (data := blocks.get(cid)) is not None:
        if walked > limit:
            return None, walked
        try:
            obj = codec.decode(cid, data)
            if commits.kind_of(obj) == "genesis":
                return None, walked + 1
            payload = obj if commits.kind_of(obj) == "anchor" else obj.get("payload")
            prev = commits.field(cid, payload, "prev", CID)
        except (CommitRejected, ValueError, TypeError, KeyError, AttributeError):
            return None, walked + 1
        cid, walked = prev, walked + 1
    return cid, walked


def without_anchor(state: StreamState, block_hash: str) -> StreamState:
    """The state once chain block `block_hash` is reorged out: an anchor it proved at the tip is
    dropped, one deeper in the log (later commits link through it) no longer counts as anchored,
    and the stream is PENDING so the node asks for a new anchor."""
    if not any(entry.anchor_block == block_hash for entry in state.log):
        return state
    log = tuple(LogEntry(e.cid, e.kind) if e.anchor_block == block_hash else e for e in state.log)
    proof = state.anchor_proof
    if proof is not None and proof.get("blockHash") == block_hash:
        proof = None
    return _without_unproven_tail(dataclasses.replace(state, log=log, anchor_status=AnchorStatus.PENDING,
                                                      anchor_proof=proof))
