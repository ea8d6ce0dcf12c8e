"""The cluster REST API on 9094, modelled on ipfs-cluster's.

    GET    /id                       this peer (ipfs-cluster's ID object)
    GET    /version                  {"version"}
    GET    /peers                    every peer heard from; a down one has `error` set
    GET    /allocations[/{id}]       the shared pinset with current allocations (Pin objects)
    GET    /pins[/{id}]              every peer's status (GlobalPinInfo objects)
    POST   /pins/{id}?replication-min=N&replication-max=M&name=…   (rmin/rmax are accepted too)
    DELETE /pins/{id}
    POST   /pins/{id}/recover, POST /pins/recover

Lists are JSON arrays (ipfs-cluster 1.x streams them as one object per line). Every request
needs basic auth with the node's rpcuser/rpcpassword (or its cookie), like the JSON-RPC: the
pinset is writable from here, so nothing is open by default. Errors are ipfs-cluster's
{"code", "message"}: 400 bad id or factors, 401, 404 not in the pinset, 503 too few live peers.
"""

from __future__ import annotations

from aiohttp import web

from fakenet.node.version import __version__
from fakenet.node import logs
from fakenet.node.cluster import params, views
from fakenet.node.cluster.errors import NotEnoughPeers, NotInPinset
from fakenet.node.rpc.server import credentials_ok  # one basic-auth check for both APIs

_STATUS = ((NotInPinset, 404), (NotEnoughPeers, 503), (ValueError, 400))


def _error(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"code": status, "message": message}, status=status, headers=headers)


def _middlewares(user: str, password: str) -> list:
    log = logs.get()

    @web.middleware
    async def auth(request: web.Request, handler):
        if not credentials_ok(request.headers.get("Authorization"), user, password):
            log.warning("cluster_api_unauthorized", remote=request.remote)
            return _error(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="Restricted IPFS Cluster API"'})
        return await handler(request)

    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            return await handler(request)
        except tuple(kind for kind, _ in _STATUS) as exc:
            return _error(next(status for kind, status in _STATUS if isinstance(exc, kind)), str(exc))

    return [auth, errors]


def _stream_id(request: web.Request) -> str:
    return params.stream_id(request.match_info["id"])


def _query(request: web.Request, *names: str):
    return next((request.query[name] for name in names if name in request.query), None)


class Routes:
    """One handler per endpoint, over the node's ClusterService."""

    def __init__(self, cluster):
        self.cluster = cluster

    async def id(self, _request):
        return web.json_response(views.id_json(self.cluster))

    async def version(self, _request):
        return web.json_response({"version": __version__})

    async def peers(self, _request):
        return web.json_response(views.peers_json(self.cluster))

    async def allocations(self, request):
        if "id" not in request.match_info:
            return web.json_response([views.pin_json(self.cluster, e) for e in self.cluster.pinset.items()])
        stream_id = _stream_id(request)
        entry = self.cluster.pinset.get(stream_id)
        if entry is None:
            raise NotInPinset(stream_id)
        return web.json_response(views.pin_json(self.cluster, entry))

    async def status(self, request):
        if "id" not in request.match_info:
            return web.json_response(views.statuses_json(self.cluster))
        return web.json_response(views.status_json(self.cluster, _stream_id(request)))

    async def pin(self, request):
        rmin, rmax = params.factors(_query(request, "replication-min", "rmin"),
                                    _query(request, "replication-max", "rmax"))
        entry = await self.cluster.add(_stream_id(request), rmin, rmax, _query(request, "name") or "")
        return web.json_response(views.pin_json(self.cluster, entry))

    async def unpin(self, request):
        removed = await self.cluster.remove(_stream_id(request))
        return web.json_response({**views.pin_json(self.cluster, removed), "allocations": [], "peernames": []})

    async def recover(self, request):
        stream_id = _stream_id(request) if "id" in request.match_info else None
        await self.cluster.recover(stream_id)
        if stream_id is None:
            return web.json_response(views.statuses_json(self.cluster))
        return web.json_response(views.status_json(self.cluster, stream_id))


def make_app(cluster, user: str, password: str) -> web.Application:
    routes = Routes(cluster)
    app = web.Application(middlewares=_middlewares(user, password))
    app.router.add_get("/id", routes.id)
    app.router.add_get("/version", routes.version)
    app.router.add_get("/peers", routes.peers)
    app.router.add_get("/allocations", routes.allocations)
    app.router.add_get("/allocations/{id}", routes.allocations)
    app.router.add_get("/pins", routes.status)
    app.router.add_post("/pins/recover", routes.recover)
    app.router.add_get("/pins/{id}", routes.status)
    app.router.add_post("/pins/{id}", routes.pin)
    app.router.add_delete("/pins/{id}", routes.unpin)
    app.router.add_post("/pins/{id}/recover", routes.recover)
    return app
