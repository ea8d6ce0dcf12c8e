"""Model streams (type 2): what a Model definition must hold, read from js-ceramic's
stream-model (codecs.ts: ModelDefinitionV1/V2) and stream-model-handler (model-handler.ts).

    genesis  signed {"header": {"controllers": [one did], "model": META_MODEL bytes, "sep"?},
                     "data": {"version": "1.0"|"2.0", "name", "description"?, "schema": JSON Schema
                              of type object, "accountRelation": {"type": list|single|set|none,
                              "fields"? (set)}, "relations"?, "views"?, "interface", "implements",
                              "immutableFields"?}}
    updates  none: a Model is final once created ("Cannot update a finalized Model")

Every Model names the same "model" in its header: js-ceramic's hard-coded StreamID of the
UNLOADABLE type (kh4q0ozorrgaq2mezktnrmdwleo1d), so that the set of all Models can be indexed
like any model's documents. Its "CID" is not a real one (its multihash code is dag-cbor's 0x71,
over the identity multihash of dag-cbor("model-v1")): it is kept as bytes and text, never parsed. Whether implemented
interfaces really are interface Models, and whether this Model implements them (interfaces.py),
needs them loaded: that is the node's (model_rules.py).
"""

from __future__ import annotations

import re
from typing import Any

import dag_cbor
from multiformats import multibase, multihash, varint

from fakenet.node import excerpt
from fakenet.node.streams.errors import CommitRejected
from fakenet.node.streams.streamid import MODEL, UNLOADABLE, InvalidStreamID, StreamID

_DAG_CBOR = 0x71
_META_DIGEST = multihash.wrap(dag_cbor.encode("model-v1"), "identity")
META_MODEL_BYTES = (varint.encode(0xCE) + varint.encode(UNLOADABLE) + varint.encode(1) + varint.encode(_DAG_CBOR)
                    + varint.encode(_DAG_CBOR) + varint.encode(len(_META_DIGEST)) + _META_DIGEST)
META_MODEL = multibase.encode(META_MODEL_BYTES, "base36")
SUPPORTED_MAJOR = 2  # js-ceramic's Model.VERSION is "2.0"; it accepts any minor of a known major on load
_KEYS = {"version", "name", "description", "schema", "accountRelation", "relations", "views", "interface",
         "implements", "immutableFields"}
_RELATIONS_V1 = {"list", "single"}
_RELATIONS_V2 = {"list", "single", "set", "none"}
_SET_FIELD_TYPES = ("boolean", "integer", "number", "string")
_VIEW_TYPES = {"documentAccount": (), "documentVersion": (), "relationDocument": ("model", "property"),
               "relationFrom": ("model", "property"), "relationCountFrom": ("model", "property"),
               "relationSetFrom": ("model", "property")}


def check_definition(content: Any) -> None:
    """CommitRejected naming the first thing js-ceramic would refuse in a Model's content."""
    if not isinstance(content, dict):
        raise CommitRejected(f"Model content must be an object, got {type(content).__name__}")
    extra = sorted(set(content) - _KEYS)
    if extra:
        raise CommitRejected(f"Unexpected key '{extra[0]}' found in content for Model Stream")
    major = _major(content.get("version"))
    _need(isinstance(content.get("name"), str) and content["name"], "name", "a non-empty string")
    _need(isinstance(content.get("description", ""), str), "description", "a string")
    check_schema(content.get("schema"))
    _check_account_relation(content.get("accountRelation"), content["schema"], major)
    _check_relations(content.get("relations", {}), major)
    _check_views(content.get("views", {}))
    if major >= 2:
        _check_v2(content)


def _need(ok: Any, key: str, what: str) -> None:
    if not ok:
        raise CommitRejected(f"Model definition: {key} must be {what}")


def _major(version: Any) -> int:
    if not isinstance(version, str) or not re.fullmatch(r"[0-9]+\.[0-9]+", version):
        raise CommitRejected(f"Model definition: version must be \"1.0\" or \"2.x\", got {excerpt.quoted(version)}")
    major = int(version.split(".")[0])
    if major not in (1, SUPPORTED_MAJOR):
        raise CommitRejected(f"Unsupported version {version} for model: this node supports 1.0 and 2.x")
    return major


def check_schema(schema: Any) -> None:
    """A JSON Schema (draft 2020-12, as js-ceramic's Ajv) whose type is object."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise CommitRejected("Model definition: schema must be a JSON Schema of type object")
    import jsonschema  # here, not at the top: see mid._validator

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        raise CommitRejected(f"Model definition: schema is not a valid JSON Schema at {where}: {exc.message}") from exc


def _check_account_relation(relation: Any, schema: dict, major: int) -> None:
    allowed = _RELATIONS_V1 if major == 1 else _RELATIONS_V2
    kind = relation.get("type") if isinstance(relation, dict) else None
    _need(kind in allowed, "accountRelation", f"{{\"type\": one of {sorted(allowed)}}}, got {relation!r}")
    if kind != "set":
        _need(set(relation) == {"type"}, "accountRelation", f"only {{\"type\"}} for {kind}")
        return
    fields = relation.get("fields")
    _need(isinstance(fields, list) and fields and all(isinstance(f, str) for f in fields),
          "accountRelation.fields", "a non-empty list of property names for a set relation")
    for name in fields:
        _check_set_field(name, schema)


def _check_set_field(name: str, schema: dict) -> None:
    """As js-ceramic's validateSetFields: a set field is a required property of a scalar type."""
    prop = schema.get("properties", {}).get(name)
    if not isinstance(prop, dict):
        raise CommitRejected(f"Model definition: set field {excerpt.quoted(name)} is not a property of the schema")
    if name not in schema.get("required", []):
        raise CommitRejected(f"Model definition: set field {excerpt.quoted(name)} must be required in the schema")
    if prop.get("type") not in _SET_FIELD_TYPES:
        raise CommitRejected(f"Model definition: set field {excerpt.quoted(name)} has type {prop.get('type')!r}; "
                             f"a set relation takes only {', '.join(_SET_FIELD_TYPES)}")


def _check_relations(relations: Any, major: int) -> None:
    _need(isinstance(relations, dict), "relations", "an object of field name to relation")
    for field, relation in relations.items():
        kind = relation.get("type") if isinstance(relation, dict) else None
        _need(kind in ("account", "document"), f"relations.{field}", "{\"type\": \"account\"|\"document\"}")
        if kind == "document":
            model = relation.get("model")
            _need(model is not None or major >= 2, f"relations.{field}.model", "a Model stream id")
            if model is not None:
                model_id(model, f"relations.{field}.model")


def _check_views(views: Any) -> None:
    _need(isinstance(views, dict), "views", "an object of view name to view")
    for name, view in views.items():
        kind = view.get("type") if isinstance(view, dict) else None
        _need(kind in _VIEW_TYPES, f"views.{name}", f"a view of type one of {sorted(_VIEW_TYPES)}")
        for key in _VIEW_TYPES[kind]:
            _need(isinstance(view.get(key), str) or (key == "model" and view.get(key) is None),
                  f"views.{name}.{key}", "a string")
        if isinstance(view.get("model"), str):
            model_id(view["model"], f"views.{name}.model")


def _check_v2(content: dict) -> None:
    _need(isinstance(content.get("interface"), bool), "interface", "true or false (version 2)")
    implements = content.get("implements")
    _need(isinstance(implements, list), "implements", "a list of Model stream ids (version 2)")
    for index, text in enumerate(implements):
        model_id(text, f"implements[{index}]")
    immutable = content.get("immutableFields", [])
    _need(isinstance(immutable, list) and all(isinstance(f, str) for f in immutable), "immutableFields",
          "a list of property names")
    if content["interface"]:  # js-ceramic's validateInterface
        _need(content["schema"].get("properties") or content.get("views"), "schema",
              "an interface with at least one property or view")


def model_id(text: Any, where: str) -> StreamID:
    """A stream id that names a Model (type 2), or CommitRejected saying where it was found."""
    try:
        stream_id = StreamID.parse(text) if isinstance(text, str) else None
    except InvalidStreamID as exc:
        raise CommitRejected(f"{where}: {exc}") from exc
    if stream_id is None or stream_id.type != MODEL:
        raise CommitRejected(f"{where}: {excerpt.quoted(text)} is not the stream id of a Model (type 2)")
    return stream_id
