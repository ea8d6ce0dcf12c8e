"""The stream API on 7007 as an OpenAPI 3 document, served at /api/v0/openapi.json.

Useful to users (generate a client, browse the API) and to fuzzers: schemathesis derives its
requests from it. Written by hand from api.py and streams/wire.py; a test checks that every
route the app serves is described here.
"""

from __future__ import annotations

from functools import cache

from fakenet.node.version import __version__

_ID = {"name": "id", "in": "path", "required": True, "description": "StreamID (k…, base36)",
       "schema": {"type": "string"}}
_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ERRORS = {code: _ERROR for code in ("400", "401", "403", "404", "413", "415", "503")}


def _json(schema: dict, description: str = "ok") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(summary: str, response: dict, body: dict | None = None, params: list | None = None) -> dict:
    op = {"summary": summary, "responses": {"200": response, **_ERRORS}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


_SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    "SignedCommit": {"type": "object", "required": ["jws", "linkedBlock"], "properties": {
        "jws": {"type": "object", "required": ["payload", "signatures"], "properties": {
            "payload": {"type": "string"}, "link": {"type": "string"},
            "signatures": {"type": "array", "items": {"type": "object", "properties": {
                "protected": {"type": "string"}, "signature": {"type": "string"}}}}}},
        "linkedBlock": {"type": "string", "description": "base64 dag-cbor block"}}},
    "UnsignedGenesis": {"type": "object", "required": ["header"], "properties": {
        "header": {"type": "object", "properties": {"controllers": {"type": "array", "items": {"type": "string"}},
                                                    "family": {"type": "string"}}}}},
    "Commit": {"oneOf": [_ref("SignedCommit"), _ref("UnsignedGenesis"),
                         {"type": "string", "description": "fakenet's raw block, hex"}]},
    "Opts": {"type": "object", "properties": {"pin": {"type": "boolean"}, "anchor": {"type": "boolean"},
                                              "publish": {"type": "boolean"}}},
    "StreamState": {"type": "object", "properties": {
        "type": {"type": "integer"}, "content": {}, "doctype": {"type": "string"},
        "metadata": {"type": "object"}, "signature": {"type": "integer"},
        "anchorStatus": {"type": "string", "enum": ["NOT_REQUESTED", "PENDING", "ANCHORED", "FAILED"]},
        "log": {"type": "array", "items": {"type": "object", "required": ["cid", "type"], "properties": {
            "cid": {"type": "string"}, "type": {"type": "integer"}}}},
        "anchorProof": {"type": "object", "properties": {
            "chainId": {"type": "string"}, "txHash": {"type": "string"}, "root": {"type": "string"},
            "blockNumber": {"type": "integer"}}}}},
    "Stream": {"type": "object", "required": ["streamId", "state"], "properties": {
        "streamId": {"type": "string"}, "state": _ref("StreamState")}},
    "Pins": {"type": "object", "properties": {"pinnedStreamIds": {"type": "array", "items": {"type": "string"}}}},
    "PinResult": {"type": "object", "properties": {"streamId": {"type": "string"}, "isPinned": {"type": "boolean"}}},
}

_CREATE = {"type": "object", "properties": {
    "type": {"type": "integer", "description": "stream type: 0 (tile), 2 (Model), 3 (ModelInstanceDocument)"},
    "genesis": _ref("Commit"), "cid": {"type": "string", "description": "with a hex genesis"},
    "content": {"description": "instead of genesis: content the node signs with its own key"},
    "metadata": {"type": "object", "properties": {"family": {"type": "string"},
                                                  "tags": {"type": "array", "items": {"type": "string"}}}},
    "opts": _ref("Opts")}}
_APPLY = {"type": "object", "required": ["streamId", "commit"], "properties": {
    "streamId": {"type": "string"}, "commit": _ref("Commit"), "cid": {"type": "string"}, "opts": _ref("Opts")}}
_MULTIQUERY = {"type": "object", "required": ["queries"], "properties": {
    "queries": {"type": "array", "items": {"type": "object", "required": ["streamId"], "properties": {
        "streamId": {"type": "string"}, "paths": {"type": "array", "items": {"type": "string"}}}}},
    "timeout": {"type": "number", "minimum": 0, "maximum": 600_000, "description": "milliseconds"}}}
_QUERY = {"type": "object", "properties": {
    "models": {"type": "array", "items": {"type": "string"}}, "model": {"type": "string"},
    "account": {"type": "string", "description": "a controller DID"},
    "first": {"type": "integer", "minimum": 1, "maximum": 1000}, "after": {"type": "string"},
    "last": {"type": "integer", "minimum": 1, "maximum": 1000}, "before": {"type": "string"}}}
_PAGE = {"type": "object", "required": ["edges", "pageInfo"], "properties": {
    "edges": {"type": "array", "items": {"type": "object", "properties": {
        "cursor": {"type": "string"}, "node": {"nullable": True, "allOf": [_ref("StreamState")]}}}},
    "pageInfo": {"type": "object", "properties": {
        "hasNextPage": {"type": "boolean"}, "hasPreviousPage": {"type": "boolean"},
        "startCursor": {"type": "string", "nullable": True}, "endCursor": {"type": "string", "nullable": True}}}}}
_MODELS = {"type": "object", "properties": {"models": {"type": "array", "items": {"type": "string"}},
                                            "modelData": {"type": "array", "items": {"type": "object", "properties": {
                                                "streamID": {"type": "string"}}}}}}
_QUERY_PARAMS = [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in (
    ("model", {"type": "string"}), ("models", {"type": "string", "description": "comma-separated"}),
    ("account", {"type": "string"}), ("first", {"type": "integer", "minimum": 1}), ("after", {"type": "string"}),
    ("last", {"type": "integer", "minimum": 1}), ("before", {"type": "string"}))]


def _admin_models(path: str) -> dict:
    return {path: {method: _op(summary, _json({"type": "object"}), None if method == "get" else _MODELS)
                   for method, summary in (("get", "models this node indexes"),
                                           ("post", "start indexing models (admin token if the node has one)"),
                                           ("delete", "stop indexing models (admin token if the node has one)"))}}


def _index() -> dict:
    return {
        "/api/v0/collection": {
            "post": _op("documents of indexed models, a page at a time", _json(_PAGE), _QUERY),
            "get": _op("the same query as a query string", _json(_PAGE), params=_QUERY_PARAMS)},
        "/api/v0/collection/count": {"post": _op("how many documents a query matches", _json(
            {"type": "object", "properties": {"count": {"type": "integer"}}}), _QUERY)},
        **_admin_models("/api/v0/admin/models"), **_admin_models("/api/v0/admin/modelData"),
    }


def _pins(prefix: str) -> dict:
    return {
        prefix: {"get": _op("list pinned streams", _json(_ref("Pins")))},
        prefix + "/{id}": {
            "get": _op("whether a stream is pinned", _json(_ref("Pins")), params=[_ID]),
            "post": _op("pin a stream (admin token if the node has one)", _json(_ref("PinResult")), params=[_ID]),
            "delete": _op("unpin a stream (admin token if the node has one)", _json(_ref("PinResult")), params=[_ID]),
        },
    }


@cache
def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "fakenet stream API (Ceramic /api/v0)", "version": __version__},
        "paths": {
            "/api/v0/node/healthcheck": {"get": {"summary": "liveness", "responses": {
                "200": {"description": "Alive!", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "503": {"description": "starting", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/api/v0/node/chains": {"get": _op("anchor chains (CAIP-2)", _json({"type": "object", "properties": {
                "supportedChains": {"type": "array", "items": {"type": "string"}}}}))},
            "/api/v0/openapi.json": {"get": _op("this document", _json({"type": "object"}))},
            "/api/v0/streams": {"post": _op("create a stream", _json(_ref("Stream")), _CREATE)},
            "/api/v0/streams/{id}": {"get": _op("load a stream (a CommitID loads it at that commit)",
                                                _json(_ref("Stream")), params=[_ID])},
            "/api/v0/streams/{id}/content": {"get": _op("a stream's content", _json({}), params=[_ID])},
            "/api/v0/commits": {"post": _op("apply a signed commit", _json(_ref("Stream")), _APPLY)},
            "/api/v0/commits/{id}": {"get": _op("a stream's commits", _json({"type": "object", "properties": {
                "streamId": {"type": "string"}, "commits": {"type": "array", "items": {"type": "object", "properties": {
                    "cid": {"type": "string"}, "value": {}}}}}}), params=[_ID])},
            "/api/v0/multiqueries": {"post": _op("load several streams (and streams their content links to)",
                                                 _json({"type": "object", "additionalProperties": _ref("StreamState")}),
                                                 _MULTIQUERY)},
            **_pins("/api/v0/pins"), **_pins("/api/v0/admin/pins"), **_index(),
        },
        "components": {"schemas": _SCHEMAS},
    }
