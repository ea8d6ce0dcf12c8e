"""The checks on Models and MIDs that need other streams: the MID's Model (its schema, account
relation, immutable fields), the documents its relations point to, and the interfaces a Model
implements. As js-ceramic's handlers, they run when a commit is applied here (create, update)
and on a stream loaded from peers, before the state is kept; what they refuse changes nothing.

A peer's gossiped update to a MID this node holds is checked at once against the Model as held
here (`holds`), relations aside: gossip is applied without waiting for loads.

A Model implementing interfaces must be an implementation of each: compatible schema, relations,
views and immutable fields (streams/interfaces.py). What is not checked (js-ceramic does): a MID's
`context`.
"""

from __future__ import annotations

import contextvars
from typing import Awaitable, Callable

from fakenet.node.errors import NodeError
from fakenet.node.streams import CommitRejected, StreamID, StreamState, interfaces, mid
from fakenet.node.streams.streamid import MID, MODEL, InvalidStreamID

Load = Callable[[StreamID], Awaitable[StreamState]]
_NAMES = {MODEL: "Model", MID: "ModelInstanceDocument"}
# The documents whose checks are under way in this task: two documents whose relations name each
# other would otherwise load and check each other without end (each is kept only once checked).
_CHECKING: contextvars.ContextVar[frozenset] = contextvars.ContextVar("checking", default=frozenset())


class ModelRules:
    def __init__(self, load: Load):
        self.load = load

    async def check(self, state: StreamState, before: StreamState | None = None) -> None:
        """CommitRejected if `state` (reached from `before`, or loaded whole) breaks its Model."""
        if state.stream_id.type == MODEL and len(state.log) == 1:
            await self._check_implements(state.content)
        elif state.stream_id.type == MID:
            await self._check_document(state, before)

    async def _loaded(self, stream_id: StreamID, kind: int, what: str) -> StreamState:
        """The stream, which must load and be of type `kind`; CommitRejected saying `what` needed it."""
        try:
            loaded = await self.load(stream_id)
        except NodeError as exc:
            raise CommitRejected(f"{what}: {stream_id} cannot be loaded: {exc}") from exc
        if loaded.stream_id.type != kind:
            raise CommitRejected(f"{what}: {stream_id} is not a {_NAMES[kind]}")
        return loaded

    async def _definition(self, model: StreamID, what: str) -> dict:
        return (await self._loaded(model, MODEL, what)).content

    async def _check_implements(self, definition: dict) -> None:
        for text in definition.get("implements", []):
            implemented = await self._definition(StreamID.parse(text), "implements")
            if implemented.get("version") == "1.0" or not implemented.get("interface"):
                raise CommitRejected(f"Model {text} is not an interface")
            interfaces.check_implementation(text, implemented, definition)

    async def _check_document(self, state: StreamState, before: StreamState | None) -> None:
        model = StreamID.parse(state.model)
        definition = await self._definition(model, f"ModelInstanceDocument {state.stream_id}")
        _check_against(model, definition, state, before)
        if state.content is None:
            return
        token = _CHECKING.set(_CHECKING.get() | {state.stream_id})
        try:
            await self._check_relations(model, definition, state.content)
        finally:
            _CHECKING.reset(token)

    def holds(self, state: StreamState, before: StreamState, held: Callable[[StreamID], StreamState | None]) -> str | None:
        """Why a gossiped MID state breaks its Model as this node holds it (None if it does not)."""
        if state.stream_id.type != MID:
            return None
        model = StreamID.parse(state.model)
        found = held(model)
        if found is None or found.stream_id.type != MODEL:
            return f"its Model {model} is not held here to check it against"
        try:
            _check_against(model, found.content, state, before)
        except CommitRejected as exc:
            return str(exc)
        return None

    async def _check_relations(self, model: StreamID, definition: dict, content: dict) -> None:
        for field, relation in definition.get("relations", {}).items():
            if relation["type"] == "document" and content.get(field) is not None:
                await self._check_relation(model, field, relation.get("model"), content[field])

    async def _check_relation(self, model: StreamID, field: str, expected: str | None, value) -> None:
        """The field names a MID that loads, of the expected Model or of one implementing it."""
        try:
            target = StreamID.parse(str(value))
        except InvalidStreamID as exc:
            raise CommitRejected(f"Error while parsing relation from field {field}: Invalid StreamID: {exc}") from exc
        if target in _CHECKING.get():
            return  # a cycle of relations: the target is being checked further up
        linked = await self._loaded(target, MID, f"relation on field {field}")
        if expected is None or linked.model == expected:
            return
        found = await self._definition(StreamID.parse(linked.model), f"relation on field {field}")
        if found.get("version") == "1.0" or expected not in found.get("implements", []):
            raise CommitRejected(
                f"Relation on field {field} points to Stream {target}, which belongs to Model {linked.model}, but "
                f"this Stream's Model ({model}) specifies that this relation must be to a Stream in the Model {expected}")


def _check_against(model: StreamID, definition: dict, state: StreamState, before: StreamState | None) -> None:
    """What the Model's content alone decides: header, immutable fields, schema, set unique fields."""
    updated = any(entry.kind == "update" for entry in state.log)
    mid.check_genesis(definition, state.unique, None if updated else state.content)
    if before is not None and not _first_data_of_deterministic(definition, before):
        mid.check_immutable(definition, before.content, state.content)
    if state.content is None:
        return
    mid.check_content(model, definition, state.content)
    if updated:
        mid.check_unique(definition, state.unique, state.content)


def _first_data_of_deterministic(definition: dict, before: StreamState) -> bool:
    """js-ceramic skips the immutable-fields check on the commit that first fills a single/set document."""
    return (definition["accountRelation"]["type"] in mid.DETERMINISTIC
            and not any(entry.kind == "update" for entry in before.log))

