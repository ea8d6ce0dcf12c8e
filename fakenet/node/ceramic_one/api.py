"""ceramic-one's HTTP API under /ceramic on 5101, as rust-ceramic's api/ceramic.yaml (0.58) has it.

    GET  /ceramic/liveness                          200
    GET|POST /ceramic/version                       {"version"}
    GET  /ceramic/config/network                    {"name": "local-N"}
    GET  /ceramic/peers                             {"peers": [{"id": did:key, "addresses": [multiaddr/p2p/id]}]}
    POST /ceramic/events                            {"data": multibase CAR} → 204
    GET  /ceramic/events/{cid}                      {"id", "data": multibase base64 CAR}
    GET  /ceramic/feed/events?resumeAt&limit&includeData   {"events": [{"id", "data"?}], "resumeToken"}
    GET  /ceramic/feed/resumeToken                  {"resumeToken"}
    POST /ceramic/interests/{sort_key}/{sort_value} 204;  POST /ceramic/interests {"sep", "sepValue"} 204
                                                    (400 for a new one past --interest-limit: feed.py)
    GET  /ceramic/experimental/interests            {"interests": [{"data"}]}
    GET  /ceramic/experimental/events/{sep}/{sepValue}?controller&streamId&offset&limit
                                                    {"events", "resumeOffset", "isComplete"}
    GET  /ceramic/streams/{stream_id}               {"id", "event_cid", "controller", "dimensions", "data"}

GET /metrics (beside /ceramic) is Recon's per-peer counters as Prometheus text (recon.py).

Errors are {"message"} as the document's BadRequestResponse; a missing event or stream is a
text/plain 404. Not served: POST /peers (this node dials only its own network's peers; 400),
/debug/heap. Events go into the same store as 7007's commits (events.py).
"""

from __future__ import annotations

import json

from aiohttp import web
from multiformats import multibase

from fakenet.node import api_guard, excerpt, strict_json
from fakenet.node.ceramic_one import car, events, ingest, kubo_subset, stream_states
from fakenet.node.ceramic_one.feed import SEP, TooManyInterests
from fakenet.node.errors import NodeError
from fakenet.node.identity import public_from_peer_id
from fakenet.node.streams import CommitRejected, StreamID, StreamUnavailable, codec, keys
from fakenet.node.streams.model_stream import META_MODEL_BYTES
from fakenet.node.version import __version__

FEED_LIMIT, FEED_MAX = 100, 10_000  # ceramic-one's default and its maximum with data
EVENTS_LIMIT = 10_000


class BadRequest(NodeError):
    """Input ceramic-one answers with a 400."""


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": excerpt.bounded(message)}, status=status)


def _not_found(message: str) -> web.Response:
    return web.Response(status=404, text=message, content_type="text/plain")


def _int(request: web.Request, name: str, default: int, low: int = 0, high: int = 2**62) -> int:
    text = request.query.get(name)
    try:
        value = default if text is None else int(text)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {excerpt.quoted(text)}") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


class CeramicOneApi:
    def __init__(self, node):
        self.node = node

    @property
    def feed(self):
        return self.node.event_feed

    async def liveness(self, _request):
        return web.Response(status=200)

    async def version(self, _request):
        return web.json_response({"version": __version__})

    async def network(self, _request):
        return web.json_response({"name": f"local-{self.feed.network_id - 0x01_0000_0000}"})

    async def peers(self, _request):
        conns = sorted(self.node.swarm.connections.values(), key=lambda conn: conn.peer_id)
        return web.json_response({"peers": [
            {"id": keys.did_for(public_from_peer_id(conn.peer_id)),
             "addresses": [f"{conn.hello.announce}/p2p/{conn.peer_id}"]} for conn in conns]})

    async def connect(self, _request):
        return _error(400, "this node dials only the peers of its own network (its peer list); "
                           "POST /ceramic/peers is not modelled")

    async def post_event(self, request):
        body = await request.json(loads=strict_json.loads)
        if not isinstance(body, dict):
            raise BadRequest("body must be {\"data\": multibase CAR}")
        cid, data = events.from_car(events.decode_multibase(body.get("data"), "data"))
        await self._store(cid, data)
        return web.Response(status=204)

    async def _store(self, cid, data: bytes) -> None:
        try:
            await ingest.store(self.node.streams, self.feed, cid, data)
        except ingest.MissingInit as exc:
            raise BadRequest(str(exc)) from exc

    async def get_event(self, request):
        cid = _cid(request.match_info["event_id"])
        stream = self.feed.has(cid)
        if stream is None:
            return _not_found(f"event {excerpt.clip(request.match_info['event_id'])} not found")
        return web.json_response(await self._event(cid, stream, True))

    async def _event(self, cid, stream: str, with_data: bool) -> dict:
        """An event as the feeds list it; its data from the feed, which owns every accepted event's bytes."""
        cid = codec.as_cid(cid)
        event = {"id": codec.cid_text(cid)}
        if with_data and (block := self.feed.blocks([cid]).get(cid)) is not None:
            event["data"] = multibase.encode(events.to_car(cid, block), "base64")
        return event

    async def feed_events(self, request):
        include = request.query.get("includeData", "none")
        if include not in ("none", "full"):
            raise BadRequest(f"includeData must be none or full, got {excerpt.quoted(include)}")
        limit = _int(request, "limit", FEED_LIMIT, 1, FEED_MAX if include == "full" else 2**31)
        resume = request.query.get("resumeAt", "0")
        if not resume.isdigit():
            raise BadRequest(f"Invalid resume token {excerpt.quoted(resume)}. it is not a number")
        found, token = self.feed.since(int(resume), limit)
        return web.json_response({"events": [await self._event(c, s, include == "full") for c, s in found],
                                  "resumeToken": str(token)})

    async def resume_token(self, _request):
        return web.json_response({"resumeToken": str(self.feed.highwater())})

    async def interest(self, request):
        if "sort_key" in request.match_info:
            sep, value = request.match_info["sort_key"], request.match_info["sort_value"]
        else:
            body = await request.json(loads=strict_json.loads)
            if not isinstance(body, dict) or not isinstance(body.get("sep"), str):
                raise BadRequest("body must be {\"sep\", \"sepValue\", \"controller\"?, \"streamId\"?}")
            sep, value = body["sep"], body.get("sepValue")
        self.feed.register(_sep(sep), multibase.encode(_model(value), "base36"))
        return web.Response(status=204)

    async def interests(self, _request):
        return web.json_response({"interests": [
            {"data": multibase.encode(f"{sep}:{value}".encode(), "base64url")} for sep, value in self.feed.interests()]})

    async def experimental_events(self, request):
        model = _model(request.match_info["sepValue"])
        _sep(request.match_info["sep"])
        offset, limit = _int(request, "offset", 0), _int(request, "limit", EVENTS_LIMIT, 1, EVENTS_LIMIT)
        stream = request.query.get("streamId")
        found = self.feed.of_interest(model, request.query.get("controller"),
                                      StreamID.parse(stream).encode() if stream else None, offset, limit + 1)
        return web.json_response({"events": [await self._event(c, s, True) for c, s in found[:limit]],
                                  "resumeOffset": offset + len(found[:limit]), "isComplete": len(found) <= limit})

    async def stream(self, request):
        stream_id = StreamID.parse(request.match_info["stream_id"])
        try:
            state = await stream_states.load(self.node.streams, self.feed, stream_id)
        except StreamUnavailable as exc:
            return _not_found(str(exc))
        dimensions = {"controller": state.controllers[0].encode()}
        if state.model is not None:
            dimensions[SEP] = multibase.decode(state.model)
        data = json.dumps({"metadata": state.to_json()["state"]["metadata"], "content": state.content}).encode()
        return web.json_response({
            "id": stream_id.encode(), "event_cid": str(state.tip), "controller": state.controllers[0],
            "dimensions": {k: multibase.encode(v, "base64url") for k, v in dimensions.items()},
            "data": multibase.encode(data, "base64url")})


def _cid(text: str):
    try:
        return codec.as_cid(text)
    except Exception as exc:  # multiformats raises several unrelated types for bad text
        raise BadRequest(f"{excerpt.quoted(text)} is not an event CID: {excerpt.clip(str(exc))}") from exc


def _sep(sep: str) -> str:
    if sep != SEP:
        raise BadRequest(f"sort key {excerpt.quoted(sep)} is not modelled: interests are by '{SEP}'")
    return sep


def _model(text) -> bytes:
    """A Model's stream id as bytes: a Model's, or the meta-model's (an interest in every Model,
    as ceramic-one indexes models; it has no genesis, so it is no loadable stream id)."""
    if not isinstance(text, str) or not text:
        raise BadRequest("Input cannot be empty. Expected multibase encoded value.")
    try:
        raw = multibase.decode(text)
        return raw if raw == META_MODEL_BYTES else StreamID.from_bytes(raw).to_bytes()
    except Exception as exc:  # multiformats and the stream id parser raise unrelated types
        raise BadRequest(f"sort value {excerpt.quoted(text)} is not a multibase stream id: {excerpt.clip(str(exc))}") from exc


# TooManyInterests is a 400, not a 429 or 507: the document allows the interest routes 204, 400, 500.
_STATUS = ((BadRequest, 400), (TooManyInterests, 400), (car.InvalidCar, 400), (CommitRejected, 400),
           (StreamUnavailable, 404), (NodeError, 400))


@web.middleware
async def _messages(request, handler):
    """ceramic-one's error body is {"message"}; the shared guard writes {"error"}."""
    response = await handler(request)
    if response.status >= 400 and response.content_type == "application/json" and response.body:
        body = json.loads(response.body)
        if "error" in body and "message" not in body:
            return _error(response.status, body["error"])
    return response


def make_app(node) -> web.Application:
    """/ceramic and Kubo's /api/v0 side by side, each with its own guard: Kubo clients post
    multipart and query strings, which the JSON-only guard of /ceramic would refuse."""
    root = web.Application()
    root.add_subapp("/ceramic", _ceramic_app(node))
    root.add_subapp("/api/v0", kubo_subset.make_app(node))
    root.router.add_get("/metrics", lambda _request: web.Response(text=node.recon.metrics_text()))
    return root


def _ceramic_app(node) -> web.Application:
    s = node.settings
    handlers = CeramicOneApi(node)
    app = web.Application(client_max_size=s.api_body_limit, middlewares=[
        api_guard.cors(api_guard.OriginPolicy(s.cors_allowed_origins)), _messages,
        api_guard.errors(_STATUS), api_guard.writes(s.api_body_limit, s.api_admin_token)])
    for method, path, handler in (
            ("GET", "/liveness", handlers.liveness), ("GET", "/version", handlers.version),
            ("POST", "/version", handlers.version), ("GET", "/config/network", handlers.network),
            ("GET", "/peers", handlers.peers), ("POST", "/peers", handlers.connect),
            ("POST", "/events", handlers.post_event), ("GET", "/events/{event_id}", handlers.get_event),
            ("GET", "/feed/events", handlers.feed_events), ("GET", "/feed/resumeToken", handlers.resume_token),
            ("POST", "/interests", handlers.interest), ("POST", "/interests/{sort_key}/{sort_value}", handlers.interest),
            ("GET", "/experimental/interests", handlers.interests),
            ("GET", "/experimental/events/{sep}/{sepValue}", handlers.experimental_events),
            ("GET", "/streams/{stream_id}", handlers.stream)):
        app.router.add_route(method, path, handler)
    return app
