"""Model and ModelInstanceDocument commits as js-ceramic writes them (stream-model's _makeGenesis,
stream-model-instance's _makeRawGenesis and _makeRawCommit), for tests.

The meta-model bytes are spelled out here from js-ceramic's Model.MODEL (the UNLOADABLE stream
id kh4q0ozorrgaq2mezktnrmdwleo1d), not taken from the node.
"""

from multiformats import CID, multibase

from fakenet.node.streams import ControllerKey, codec, jose

META_MODEL = "kh4q0ozorrgaq2mezktnrmdwleo1d"
MODEL_PREFIX, MID_PREFIX = "kjzl6hvfrbw6c", "kjzl6kcym7w8y"  # how Ceramic's type 2 and type 3 ids begin

NOTE_SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
               "additionalProperties": False, "required": ["title"],
               "properties": {"title": {"type": "string", "maxLength": 40}, "stars": {"type": "integer", "minimum": 0},
                              "site": {"type": "string", "format": "uri"}}}


def stream_id_bytes(text: str) -> bytes:
    return multibase.decode(text)


def definition(name="Note", relation=None, schema=None, **extra) -> dict:
    return {"version": "2.0", "name": name, "interface": False, "implements": [],
            "schema": schema or NOTE_SCHEMA, "accountRelation": relation or {"type": "list"}, **extra}


def model_genesis(key: ControllerKey, content: dict) -> tuple[CID, bytes]:
    return jose.sign(key, {"header": {"controllers": [key.did], "model": stream_id_bytes(META_MODEL), "sep": "model"},
                           "data": content})


def mid_genesis(key: ControllerKey, model: str, content, unique: bytes | None = b"0123456789ab") -> tuple[CID, bytes]:
    header = {"controllers": [key.did], "model": stream_id_bytes(model), "sep": "model"}
    if unique is not None:
        header["unique"] = unique
    return jose.sign(key, {"header": header, "data": content})


def deterministic_genesis(did: str, model: str, unique: bytes | None = None) -> tuple[CID, bytes]:
    """Unsigned and without content: the same controller, model (and unique) give the same CID."""
    header = {"controllers": [did], "model": stream_id_bytes(model), "sep": "model"}
    if unique is not None:
        header["unique"] = unique
    return codec.encode({"header": header})


def mid_update(key: ControllerKey, genesis: CID, prev: CID, ops: list, header: dict | None = None) -> tuple[CID, bytes]:
    commit = {"id": genesis, "prev": prev, "data": ops}
    if header is not None:
        commit["header"] = header
    return jose.sign(key, commit)
