"""ModelInstanceDocuments (type 3): the rules a MID's commits follow, read from js-ceramic's
stream-model-instance-handler (model-instance-document-handler.ts), given its Model's content.

    genesis  {"header": {"controllers": [one did], "model": Model stream id bytes, "sep"?: "model",
                         "unique"?, "context"?}, "data"?: content}
             signed when it has content; unsigned and without content for a Model whose
             accountRelation is single or set (deterministic: the same controller and Model, and
             for set the same unique fields, give the same genesis and so the same stream id)
    update   signed {"id", "prev", "data": [JSON-Patch ops], "header"?: {"shouldIndex"?}}

Content is checked against the Model's JSON Schema (draft 2020-12, formats checked, as Ajv with
ajv-formats) on the genesis and on every update; the error names each failing field and why.
Relations and interfaces need other streams loaded: the node does that (model_rules.py).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from fakenet.node.streams.errors import CommitRejected
from fakenet.node.streams.model_stream import model_id
from fakenet.node.streams.streamid import StreamID

DETERMINISTIC = ("single", "set")
MAX_DOCUMENT_SIZE = 16_000_000  # bytes of JSON, js-ceramic's validateContentLength


def model_of(header: dict) -> StreamID:
    """The Model a genesis header names (bytes, as js-ceramic writes them)."""
    raw = header.get("model")
    if not isinstance(raw, bytes):
        raise CommitRejected(f"header.model must be the bytes of a Model stream id, got {type(raw).__name__}")
    try:
        text = StreamID.from_bytes(raw).encode()
    except ValueError as exc:
        raise CommitRejected(f"header.model is not a stream id: {exc}") from exc
    return model_id(text, "Model for ModelInstanceDocument")


def unique_of(header: dict) -> bytes | None:
    """header.unique as bytes (js-ceramic writes bytes; ceramic-python writes base64 text)."""
    unique = header.get("unique")
    if unique is None or isinstance(unique, bytes):
        return unique
    if isinstance(unique, str):
        return unique.encode()
    raise CommitRejected(f"header.unique must be bytes or text, got {type(unique).__name__}")


def check_genesis(definition: dict, unique: bytes | None, content: Any) -> None:
    """js-ceramic's _validateHeader and the deterministic-genesis rule of _validateContent."""
    relation = definition["accountRelation"]["type"]
    if definition.get("version") != "1.0" and definition.get("interface"):
        raise CommitRejected("ModelInstanceDocument Streams cannot be created on interface Models")
    if relation == "single" and unique:
        raise CommitRejected("ModelInstanceDocuments for models with SINGLE accountRelations must be created "
                             "deterministically (no header.unique)")
    if relation in ("set", "list") and not unique:
        raise CommitRejected(f"ModelInstanceDocuments for models with {relation.upper()} accountRelations must be "
                             f"created with a unique field (header.unique)")
    if relation in DETERMINISTIC and content is not None:
        raise CommitRejected("Deterministic genesis commits for ModelInstanceDocuments must not have content")


def check_update_header(header: Any) -> bool | None:
    """An update may change only shouldIndex; returns it (None when not given)."""
    if header is None:
        return None
    if not isinstance(header, dict):
        raise CommitRejected(f"update header must be a map, got {type(header).__name__}")
    others = sorted(set(header) - {"shouldIndex"})
    if others:
        raise CommitRejected(f"Updating metadata for ModelInstanceDocument Streams is not allowed "
                             f"(header fields {others}); only shouldIndex may change")
    if header.get("shouldIndex") is not None and not isinstance(header["shouldIndex"], bool):
        raise CommitRejected("header.shouldIndex must be true or false")
    return header.get("shouldIndex")


def check_content(model: StreamID, definition: dict, content: Any) -> None:
    """The content against the Model's schema: every failing field, with why, in one message."""
    size = len(json.dumps(content).encode())
    if size > MAX_DOCUMENT_SIZE:
        raise CommitRejected(f"Content has length of {size} bytes which exceeds maximum size of "
                             f"{MAX_DOCUMENT_SIZE} bytes")
    errors = sorted(_validator(json.dumps(definition["schema"], sort_keys=True)).iter_errors(content),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise CommitRejected(f"Validation Error: content does not match the schema of Model {model}: "
                             + "; ".join(_describe(error) for error in errors))


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str):
    """Cached per schema, as js-ceramic caches Ajv's compiled schema per Model commit. jsonschema is
    imported here, not at the top: it takes a third of a second, which every node start would pay."""
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(schema_text), format_checker=jsonschema.FormatChecker())


def warm() -> None:
    """Import jsonschema ahead of the first Model (the node runs this in a thread once it is up):
    on a loaded machine the import takes seconds, and ceramic-python gives a create two."""
    import jsonschema  # noqa: F401


def _describe(error) -> str:
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}"


def check_unique(definition: dict, unique: bytes | None, content: Any) -> None:
    """For a set relation, the set fields of the content must spell header.unique (fields | joined)."""
    relation = definition["accountRelation"]
    if relation["type"] != "set":
        return
    if unique is None or not isinstance(content, dict):
        raise CommitRejected("a SET document needs header.unique and object content")
    spelled = "|".join(_unique_part(content.get(field)) for field in relation["fields"])
    if spelled.encode() != unique:
        raise CommitRejected(f"Unique content fields value does not match metadata ({relation['fields']} give "
                             f"{spelled!r}): these fields values are not mutable")


def _unique_part(value: Any) -> str:
    """As js-ceramic's String(value) for the scalar types a set field may have."""
    if not value:
        return ""
    if isinstance(value, bool):
        return "true"
    return str(value)


def check_immutable(definition: dict, before: Any, after: Any) -> None:
    """A field the Model lists as immutable keeps its value (js-ceramic refuses any patch to it)."""
    before, after = before or {}, after or {}
    for name in definition.get("immutableFields", []):
        if before.get(name) != after.get(name):
            raise CommitRejected(f"Immutable field \"{name}\" cannot be updated")
