"""The stream HTTP API on 7007, modelled on the Ceramic daemon's /api/v0.

    POST   /api/v0/streams            {"content", "metadata"?, "opts"?: {"pin"}} or {"genesis": hex, "cid"?}
    GET    /api/v0/streams/{id}       load (cache → pin store → network); 503 when unavailable
    POST   /api/v0/commits            {"streamId", "commit": hex, "cid"?}: apply a signed commit
    GET    /api/v0/commits/{id}       the stream's commits
    GET    /api/v0/pins[/{id}]        pinned stream ids; POST and DELETE /api/v0/pins/{id}
    GET    /api/v0/node/healthcheck   200 "Alive!" when ready, else 503
"""

from __future__ import annotations

import json

from aiohttp import web

from fakenet.node.errors import NodeError
from fakenet.node.streams import CommitRejected, InvalidStreamID, StreamID, StreamUnavailable, as_cid, cid_of

_STATUS = ((StreamUnavailable, 503), (CommitRejected, 400), (InvalidStreamID, 400), (NodeError, 400))


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def _errors(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except json.JSONDecodeError as exc:
        return _error(400, f"request body is not JSON: {exc}")
    except tuple(kind for kind, _ in _STATUS) as exc:
        return _error(next(status for kind, status in _STATUS if isinstance(exc, kind)), str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        return _error(400, f"bad request: {exc!r}")


def _stream_id(request: web.Request) -> StreamID:
    return StreamID.parse(request.match_info["id"])


def _block(body: dict, key: str) -> tuple:
    data = bytes.fromhex(body[key])
    return (as_cid(body["cid"]) if body.get("cid") else cid_of(data)), data


def make_app(node) -> web.Application:
    def streams():
        return node.streams

    async def healthcheck(_request):
        return web.Response(text="Alive!") if node.ready else web.Response(status=503, text="Not ready")

    async def create(request):
        body = await request.json()
        pin = bool(body.get("opts", {}).get("pin", False))
        if "genesis" in body:
            state = await streams().create_from_genesis(*_block(body, "genesis"), pin=pin)
        else:
            metadata = body.get("metadata") or {}
            state = await streams().create(body["content"], family=metadata.get("family"),
                                           tags=metadata.get("tags"), pin=pin)
        return web.json_response(state.to_json())

    async def load(request):
        return web.json_response((await streams().load(_stream_id(request))).to_json())

    async def apply(request):
        body = await request.json()
        state = await streams().apply(StreamID.parse(body["streamId"]), *_block(body, "commit"))
        return web.json_response(state.to_json())

    async def commits(request):
        stream_id = _stream_id(request)
        state = await streams().load(stream_id)
        blocks = streams().held(stream_id).blocks
        return web.json_response({"streamId": stream_id.encode(), "commits": [
            {"cid": str(entry.cid), "value": blocks[entry.cid].hex()} for entry in state.log]})

    async def pins(request):
        if "id" in request.match_info:
            stream_id = _stream_id(request)
            if not streams().pins.is_pinned(stream_id):
                return _error(404, f"stream {stream_id.encode()} is not pinned")
            return web.json_response({"pinnedStreamIds": [stream_id.encode()]})
        return web.json_response({"pinnedStreamIds": [s.encode() for s in streams().pins.list()]})

    async def pin(request):
        await streams().pin(_stream_id(request))
        return web.json_response({"streamId": request.match_info["id"], "isPinned": True})

    async def unpin(request):
        stream_id = _stream_id(request)
        if not streams().unpin(stream_id):
            return _error(404, f"stream {stream_id.encode()} is not pinned")
        return web.json_response({"streamId": stream_id.encode(), "isPinned": False})

    app = web.Application(middlewares=[_errors], client_max_size=16 * 1024 * 1024)
    app.router.add_get("/api/v0/node/healthcheck", healthcheck)
    app.router.add_post("/api/v0/streams", create)
    app.router.add_get("/api/v0/streams/{id}", load)
    app.router.add_post("/api/v0/commits", apply)
    app.router.add_get("/api/v0/commits/{id}", commits)
    app.router.add_get("/api/v0/pins", pins)
    app.router.add_get("/api/v0/pins/{id}", pins)
    app.router.add_post("/api/v0/pins/{id}", pin)
    app.router.add_delete("/api/v0/pins/{id}", unpin)
    return app
