"""The 9094 API as an OpenAPI 3 document: for users' tooling, and for schemathesis in the tests.

Served at /api/openapi.json, a path ipfs-cluster does not use. It describes what the node
answers, including the errors, so that a fuzzer can tell a refusal (4xx, in ipfs-cluster's
shape) from a failure (5xx, never expected except 503 for too few live peers).
"""

from __future__ import annotations

PATH = "/api/openapi.json"

_ERROR = {"description": "ipfs-cluster's error", "content": {"application/json": {"schema": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}}}}
_JSON = {"description": "JSON (a list: one object per line, or an array; 204 when empty)",
         "content": {"application/json": {}}}
_ITEM = {"name": "id", "in": "path", "required": True, "description": "a CID or a stream id",
         "schema": {"type": "string"}}
_PATH_ITEM = [{"name": "kind", "in": "path", "required": True, "schema": {"enum": ["ipfs", "ipns", "ipld"]}},
              {"name": "path", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"}}]
_PIN_OPTIONS = [{"name": name, "in": "query", "schema": schema} for name, schema in (
    ("replication-min", {"type": "integer"}), ("replication-max", {"type": "integer"}), ("name", {"type": "string"}))]
_LOCAL = [{"name": "local", "in": "query", "schema": {"type": "boolean"}}]


def _op(summary: str, parameters=(), body=None) -> dict:
    op = {"summary": summary, "parameters": list(parameters),
          "responses": {"200": _JSON, "204": {"description": "nothing to list"}, "400": _ERROR, "401": _ERROR,
                        "404": _ERROR, "413": _ERROR, "503": _ERROR}}
    if body:
        op["requestBody"] = body
    return op


_ADD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}
_ADD_OPTIONS = [{"name": name, "in": "query", "schema": schema} for name, schema in (
    ("cid-version", {"enum": [0, 1]}), ("raw-leaves", {"type": "boolean"}), ("no-pin", {"type": "boolean"}),
    ("quieter", {"type": "boolean"}))]

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "fakenet cluster REST API (ipfs-cluster 1.x subset)", "version": "1"},
    "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
    "security": [{"basic": []}],
    "paths": {
        "/id": {"get": _op("this cluster peer")},
        "/version": {"get": _op("the node's version")},
        "/peers": {"get": _op("peers heard from, live or down")},
        "/health/graph": {"get": _op("the connection graph as this node sees it")},
        "/allocations": {"get": _op("the shared pinset with allocations")},
        "/allocations/{id}": {"get": _op("one item of the pinset", [_ITEM])},
        "/pins": {"get": _op("every item's status on every peer", [
            {"name": "filter", "in": "query", "schema": {"type": "string"}},
            {"name": "cids", "in": "query", "schema": {"type": "string"}}, *_LOCAL])},
        "/pins/recover": {"post": _op("retry failed pins everywhere", _LOCAL)},
        "/pins/{id}": {"get": _op("an item's status", [_ITEM, *_LOCAL]),
                       "post": _op("pin an item in the cluster", [_ITEM, *_PIN_OPTIONS]),
                       "delete": _op("unpin an item", [_ITEM])},
        "/pins/{id}/recover": {"post": _op("retry a failed pin", [_ITEM, *_LOCAL])},
        "/pins/{kind}/{path}": {"post": _op("pin by path", [*_PATH_ITEM, *_PIN_OPTIONS]),
                                "delete": _op("unpin by path", _PATH_ITEM)},
        "/add": {"post": _op("add files and pin them", [*_ADD_OPTIONS, *_PIN_OPTIONS], _ADD_BODY)},
    },
}
