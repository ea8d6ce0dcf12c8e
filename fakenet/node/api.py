"""The stream HTTP API on 7007, speaking js-ceramic's daemon /api/v0 (shapes in streams/wire.py).

    POST   /api/v0/streams               {"type", "genesis": commit, "opts"?: {"pin"}} (Ceramic's form), or
                                         {"content", "metadata"?, "opts"?} (signed with the node's key), or
                                         {"genesis": hex, "cid"?} (fakenet's raw-block form)
    GET    /api/v0/streams/{id}          {"streamId", "state"}; a CommitID loads the stream at that commit
    GET    /api/v0/streams/{id}/content  the content alone
    POST   /api/v0/commits               {"streamId", "commit": commit | hex, "cid"?, "opts"?}
    GET    /api/v0/commits/{id}          {"streamId", "commits": [{"cid", "value": commit}]}
    POST   /api/v0/multiqueries          {"queries": [{"streamId", "paths"?}], "timeout"?} → {id: state}
    GET    /api/v0/node/chains           {"supportedChains": ["bip122:…"]}
    GET    /api/v0/node/healthcheck      200 "Alive!" when ready, else 503
    GET    /api/v0/[admin/]pins[/{id}]   {"pinnedStreamIds"}; POST and DELETE …/pins/{id} pin and unpin
    GET    /api/v0/openapi.json          this API as an OpenAPI 3 document
    …      /api/v0/collection, /api/v0/admin/models   the index API (index_api.py)

Types: tiles (0), Models (2) and ModelInstanceDocuments (3); a create's `type` must be the type
its genesis makes (a header naming a Model makes a MID, one naming the meta-model a Model).

Pins answer at both /api/v0/pins (Ceramic before 2.0, and the Python clients) and
/api/v0/admin/pins (Ceramic since). Security (CORS, JSON-only writes, body limit, admin
token) is api_guard.py's.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from fakenet.node import api_guard, api_openapi, excerpt, index_api, strict_json
from fakenet.node.errors import NodeError
from fakenet.node.model_index import QueryError
from fakenet.node.streams import (CommitID, CommitRejected, InvalidStreamID, StreamID, StreamUnavailable, apply_genesis,
                                  as_cid, cid_of, rebuild, wire)



class CommitNotFound(NodeError):
    """A CommitID whose commit is not in the log this node holds of its stream."""


_STATUS = ((StreamUnavailable, 503), (CommitNotFound, 404), (CommitRejected, 400), (InvalidStreamID, 400),
           (QueryError, 400), (NodeError, 400))
MULTIQUERY_TIMEOUT_MS = 7000  # js-ceramic's default
MAX_MULTIQUERY_TIMEOUT_MS = 600_000  # the OpenAPI document's maximum (api_openapi.py)
# One multiquery's queries and the paths each may follow, and how many of its loads run at once:
# 10,000 unknown streams took 35 s, each load a network search, and got the node dropped.
MAX_QUERIES, MAX_PATHS, LOADS_AT_ONCE = 100, 16, 8


def _parse_id(text: str) -> StreamID | CommitID:
    """A StreamID, or a CommitID where Ceramic accepts one (loads)."""
    try:
        return StreamID.parse(text)
    except InvalidStreamID as exc:
        if "is a CommitID" not in str(exc):
            raise
        return CommitID.parse(text)


def _paths(query: dict) -> int:
    paths = query.get("paths")
    return len(paths) if isinstance(paths, (list, dict, str)) else 0


def _stream_id(request: web.Request) -> StreamID:
    return StreamID.parse(request.match_info["id"])


async def _body(request: web.Request) -> dict:
    body = await request.json(loads=strict_json.loads) if request.body_exists else {}
    if not isinstance(body, dict):
        raise CommitRejected(f"request body must be a JSON object, got {type(body).__name__}")
    return body


def _block(body: dict, key: str) -> tuple:
    """A commit given as Ceramic sends it (an object), or as fakenet's raw block in hex."""
    if not isinstance(body.get(key), str):
        return wire.commit_from_wire(body.get(key))
    data = bytes.fromhex(body[key])
    return (as_cid(body["cid"]) if body.get("cid") else cid_of(data)), data


def _check_genesis_type(stream_type: int, cid, data: bytes) -> None:
    made = apply_genesis(cid, data).stream_id.type
    if made != stream_type:
        raise CommitRejected(f"type {stream_type} ({wire.STREAM_TYPES[stream_type]}) was asked, but this genesis makes "
                             f"a {wire.STREAM_TYPES[made]} (type {made}): header.model decides, as on Ceramic")


def _object(body: dict, key: str) -> dict:
    """An optional sub-object of a request (`opts`, `metadata`), named when it is not one."""
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise CommitRejected(f"{key} must be a JSON object, got {type(value).__name__}")
    return value or {}


class StreamApi:
    """The handlers; `node` supplies `streams` (StreamService), `chain` and `ready`."""

    def __init__(self, node):
        self.node = node

    @property
    def streams(self):
        return self.node.streams

    def _wire(self, state) -> dict:
        held = self.streams.held(state.stream_id)
        return wire.state_to_wire(state, held.blocks if held else {}, wire.chain_id(self.node.chain.genesis_hash))

    async def _load(self, text: str):
        """The state of a stream, or of a stream at one commit of its log (Ceramic's CommitID loads)."""
        target = _parse_id(text)
        stream_id = target.stream_id if isinstance(target, CommitID) else target
        state = await self.streams.load(stream_id)
        if isinstance(target, StreamID):
            return state
        blocks = self.streams.held(stream_id).blocks
        if target.cid not in blocks:
            raise CommitNotFound(f"commit {target.cid} is not in the log of stream {stream_id}")
        return rebuild(blocks, target.cid, stream_id=stream_id)

    async def healthcheck(self, _request):
        return web.Response(text="Alive!") if self.node.ready else web.Response(status=503, text="Not ready")

    async def create(self, request):
        body = await _body(request)
        pin = bool(_object(body, "opts").get("pin", False))
        stream_type = wire.check_type(body.get("type", 0))
        if "genesis" in body:
            genesis = _block(body, "genesis")
            _check_genesis_type(stream_type, *genesis)
            state = await self.streams.create_from_genesis(*genesis, pin=pin)
        elif "content" not in body:
            raise CommitRejected("give a genesis commit (\"genesis\"), or \"content\" for the node to sign")
        else:
            metadata = _object(body, "metadata")
            state = await self.streams.create(body["content"], family=metadata.get("family"),
                                              tags=metadata.get("tags"), pin=pin)
        return web.json_response(self._wire(state))

    async def load(self, request):
        return web.json_response(self._wire(await self._load(request.match_info["id"])))

    async def content(self, request):
        return web.json_response((await self._load(request.match_info["id"])).content)

    async def apply(self, request):
        body = await _body(request)
        if not body.get("streamId") or "commit" not in body:
            raise CommitRejected("streamId and commit are required in order to apply commit")
        state = await self.streams.apply(StreamID.parse(str(body["streamId"])), *_block(body, "commit"))
        return web.json_response(self._wire(state))

    async def commits(self, request):
        stream_id = _stream_id(request)
        state = await self.streams.load(stream_id)
        blocks = self.streams.held(stream_id).blocks
        return web.json_response({"streamId": stream_id.encode(), "commits": [
            {"cid": str(entry.cid), "value": wire.commit_to_wire(entry.cid, blocks[entry.cid])} for entry in state.log]})

    async def multiquery(self, request):
        body = await _body(request)
        queries = body.get("queries")
        if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries):
            raise CommitRejected("queries must be a list of {\"streamId\", \"paths\"?}")
        if len(queries) > MAX_QUERIES or any(_paths(q) > MAX_PATHS for q in queries):
            raise CommitRejected(f"a multiquery takes at most {MAX_QUERIES} queries of at most {MAX_PATHS} paths "
                                 f"each, got {len(queries)} queries: split it")
        timeout = body.get("timeout", MULTIQUERY_TIMEOUT_MS)
        # Bounded above too: 10**400 ms overflowed the division to seconds (a 500), and an hour's wait
        # holds one of the client's few connections for nothing a test network needs.
        if (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)
                or not 0 <= timeout <= MAX_MULTIQUERY_TIMEOUT_MS):
            raise CommitRejected(f"timeout must be a number of milliseconds from 0 to {MAX_MULTIQUERY_TIMEOUT_MS}, "
                                 f"got {excerpt.quoted(timeout)}")
        results: dict[str, dict] = {}
        slots = asyncio.Semaphore(LOADS_AT_ONCE)
        await asyncio.gather(*(self._query(q, results, timeout / 1000, slots) for q in queries))
        return web.json_response(results)

    async def _query(self, query: dict, results: dict, timeout: float, slots: asyncio.Semaphore) -> None:
        """As on Ceramic, a stream that cannot be loaded is left out of the answer, not an error;
        each path follows content fields that hold stream ids, one key per level."""
        text = query.get("streamId", query.get("docId"))
        async with slots:
            await self._query_one(query, text, results, timeout)

    async def _query_one(self, query: dict, text, results: dict, timeout: float) -> None:
        state = await self._try_load(text, timeout)
        if state is None:
            return
        results[str(text)] = self._wire(state)["state"]
        for path in query.get("paths") or []:
            await self._follow(state, str(path), results, timeout)

    async def _follow(self, state, path: str, results: dict, timeout: float) -> None:
        for key in [k for k in path.split("/") if k][:MAX_PATHS]:
            link = state.content.get(key) if isinstance(state.content, dict) else None
            state = await self._try_load(link, timeout) if isinstance(link, str) else None
            if state is None:
                return
            results[link] = self._wire(state)["state"]

    async def _try_load(self, text, timeout: float):
        if not isinstance(text, str):
            return None
        try:
            return await asyncio.wait_for(self._load(text), timeout)
        except (NodeError, ValueError, asyncio.TimeoutError):
            return None

    async def chains(self, _request):
        return web.json_response({"supportedChains": [wire.chain_id(self.node.chain.genesis_hash)]})

    async def pins(self, request):
        if "id" in request.match_info:
            stream_id = _stream_id(request)
            pinned = [stream_id.encode()] if self.streams.pins.is_pinned(stream_id) else []
            return web.json_response({"pinnedStreamIds": pinned})
        return web.json_response({"pinnedStreamIds": [s.encode() for s in self.streams.pins.list()]})

    async def pin(self, request):
        stream_id = _stream_id(request)
        await self.streams.pin(stream_id)
        return web.json_response({"streamId": stream_id.encode(), "isPinned": True})

    async def unpin(self, request):
        stream_id = _stream_id(request)
        if not self.streams.unpin(stream_id):
            return api_guard.error(404, f"stream {stream_id.encode()} is not pinned")
        return web.json_response({"streamId": stream_id.encode(), "isPinned": False})

    async def openapi(self, _request):
        return web.json_response(api_openapi.document())


def make_app(node) -> web.Application:
    s = node.settings
    handlers = StreamApi(node)
    app = web.Application(client_max_size=s.api_body_limit, middlewares=[
        api_guard.cors(api_guard.OriginPolicy(s.cors_allowed_origins)),
        api_guard.errors(_STATUS),
        api_guard.writes(s.api_body_limit, s.api_admin_token),
    ])
    add = app.router.add_route
    add("GET", "/api/v0/node/healthcheck", handlers.healthcheck)
    add("GET", "/api/v0/node/chains", handlers.chains)
    add("GET", "/api/v0/openapi.json", handlers.openapi)
    add("POST", "/api/v0/streams", handlers.create)
    add("GET", "/api/v0/streams/{id}", handlers.load)
    add("GET", "/api/v0/streams/{id}/content", handlers.content)
    add("POST", "/api/v0/commits", handlers.apply)
    add("GET", "/api/v0/commits/{id}", handlers.commits)
    add("POST", "/api/v0/multiqueries", handlers.multiquery)
    index_api.register(app, node, handlers._wire)
    for base in api_guard.PIN_PATHS:
        add("GET", base, handlers.pins)
        add("GET", base + "/{id}", handlers.pins)
        add("POST", base + "/{id}", handlers.pin)
        add("DELETE", base + "/{id}", handlers.unpin)
    return app
