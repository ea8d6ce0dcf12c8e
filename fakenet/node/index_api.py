"""js-ceramic's index API on 7007 (ceramic-daemon.ts, collection-queries.ts), answered from model_index.py.

    POST /api/v0/collection        {"models" | "model", "account"?, "first"+"after"? | "last"+"before"?}
                                   → {"edges": [{"cursor", "node": state}], "pageInfo": {…}}
    GET  /api/v0/collection        the same as a query string (js-ceramic before 2.x)
    POST /api/v0/collection/count  {"models" | "model", "account"?} → {"count"}
    GET|POST|DELETE /api/v0/admin/models      {"models": [id]} to start/stop indexing; GET lists them
    GET|POST|DELETE /api/v0/admin/modelData   {"modelData": [{"streamID"}]}, the newer spelling

js-ceramic authenticates the admin calls with a JWS from an admin DID over a one-time code; here
they are behind the node's admin token like the pin calls (api_guard.ADMIN_PATHS).
"""

from __future__ import annotations

from aiohttp import web

from fakenet.node import excerpt, strict_json
from fakenet.node.errors import NodeError
from fakenet.node.model_index import QueryError, page_size
from fakenet.node.streams import StreamID
from fakenet.node.streams.model_stream import model_id


class IndexApi:
    def __init__(self, node, wire):
        self.node, self.wire = node, wire  # wire: state → {"streamId", "state"} (StreamApi._wire)

    @property
    def index(self):
        return self.node.model_index

    async def collection(self, request: web.Request) -> web.Response:
        params = await _params(request)
        page = self.index.query(_models(params), _account(params), **page_size(params))
        edges = [{"cursor": cursor, "node": await self._state(stream)} for cursor, stream in page.streams]
        return web.json_response({"edges": edges, "pageInfo": {
            "hasNextPage": page.has_next, "hasPreviousPage": page.has_previous,
            "startCursor": edges[0]["cursor"] if edges else None, "endCursor": edges[-1]["cursor"] if edges else None}})

    async def _state(self, stream: str) -> dict | None:
        """The indexed document as the node holds it now; null when it can no longer be loaded (as js-ceramic)."""
        try:
            return self.wire(await self.node.streams.load(StreamID.parse(stream)))["state"]
        except (NodeError, ValueError):  # what cannot be loaded leaves the edge's node null, not the query
            return None

    async def count(self, request: web.Request) -> web.Response:
        params = await _params(request)
        return web.json_response({"count": self.index.count(_models(params), _account(params))})

    async def models(self, request: web.Request) -> web.Response:
        if request.method == "GET":
            listed = self.index.models()
            body = {"modelData": [{"streamID": m, "indices": []} for m in listed]} if "modelData" in request.path \
                else {"models": listed}
            return web.json_response(body)
        ids = _admin_models(await _params(request))
        if request.method == "POST":
            for model in ids:
                await self.node.streams.load(model)  # js-ceramic loads a model before indexing it
            self.index.start(ids)
        else:
            self.index.stop(ids)
        return web.json_response({"result": "success"})


async def _params(request: web.Request) -> dict:
    if request.method == "GET":
        return {k: int(v) if k in ("first", "last") and v.isdigit() else v for k, v in request.query.items()}
    body = await request.json(loads=strict_json.loads) if request.body_exists else {}
    if not isinstance(body, dict):
        raise QueryError(f"request body must be a JSON object, got {type(body).__name__}")
    return body


def _models(params: dict) -> list[str]:
    models = params.get("models") or ([params["model"]] if params.get("model") else [])
    if isinstance(models, str):
        models = models.split(",")
    if not isinstance(models, list):
        raise QueryError("models must be a list of Model stream ids")
    return [model_id(m, "models").encode() for m in models]


def _account(params: dict) -> str | None:
    account = params.get("account")
    if account is not None and not (isinstance(account, str) and account.startswith("did:")):
        raise QueryError(f"account must be a DID, got {excerpt.quoted(account)}")
    return account


def _admin_models(body: dict) -> list[StreamID]:
    listed = body.get("models") or [e.get("streamID") if isinstance(e, dict) else e for e in body.get("modelData") or []]
    if not isinstance(listed, list) or not listed:
        raise QueryError("Expected models to be present and contain at least one StreamID "
                         "({\"models\": [id]} or {\"modelData\": [{\"streamID\": id}]})")
    return [model_id(m, "models") for m in listed]


def register(app: web.Application, node, wire) -> None:
    handlers = IndexApi(node, wire)
    add = app.router.add_route
    add("POST", "/api/v0/collection", handlers.collection)
    add("GET", "/api/v0/collection", handlers.collection)
    add("POST", "/api/v0/collection/count", handlers.count)
    for path in ("/api/v0/admin/models", "/api/v0/admin/modelData"):
        for method in ("GET", "POST", "DELETE"):
            add(method, path, handlers.models)
