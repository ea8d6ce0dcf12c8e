"""The cluster REST API on 9094, modelled on ipfs-cluster 1.x's (api/rest).

    GET    /id, /version, /peers, /health/graph
    GET    /allocations[/{cid}]              the shared pinset with current allocations (Pin objects)
    GET    /pins[?cids=a,b][&filter=…]       every peer's status (GlobalPinInfo objects)
    GET    /pins/{cid}
    POST   /pins/{cid}?replication-min=N&replication-max=M&name=…   (rmin/rmax are accepted too)
    POST   /pins/{ipfs|ipns|ipld}/{path}     the same by path (/ipfs/<cid> paths only: no resolver here)
    DELETE /pins/{cid}, DELETE /pins/{ipfs|ipns|ipld}/{path}
    POST   /pins/{cid}/recover, POST /pins/recover
    POST   /add                              multipart files, as the cluster's own adder (adder.py)
    GET    /api/openapi.json                 this API as OpenAPI 3 (not an ipfs-cluster route)

`{cid}` is any CID or a stream id (items.py). Lists are streamed or JSON arrays (http.py).
Basic auth with the node's rpcuser/rpcpassword (or cookie) is on unless the operator turns it
off (ipfs-cluster's default is no auth; here the pinset is writable from this port, so on).
Errors are ipfs-cluster's {"code", "message"}: 400 bad id or option, 401, 404 not in the
pinset or no such route, 413 body over the limit, 503 too few live peers.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from fakenet.node.version import __version__
from fakenet.node import excerpt, logs
from fakenet.node.cluster import adder, http, items, openapi, params, views
from fakenet.node.cluster.errors import NotInPinset
from fakenet.node.cluster.report import LISTED, PIN_ERROR, REMOTE

PATH_KINDS = "ipfs|ipns|ipld"
STATUS_FILTERS = (*LISTED, PIN_ERROR, REMOTE, "cluster_error", "error", "queued")


@dataclass(frozen=True)
class RestSettings:
    auth: bool = True
    lists: str = http.STREAM
    body_limit: int = 1024 * 1024

    def __post_init__(self):
        if self.lists not in http.LIST_FORMATS:
            raise ValueError(f"cluster API lists must be one of {http.LIST_FORMATS}, got {self.lists!r}")


def _key(request: web.Request) -> str:
    return items.canonical(request.match_info["id"])


def _path_key(request: web.Request) -> str:
    """/ipfs/<cid>: this node resolves no paths inside DAGs and no IPNS names."""
    kind, path = request.match_info["kind"], request.match_info["path"].strip("/")
    if kind != "ipfs" or not path or "/" in path:
        raise ValueError(f"error parsing path: {excerpt.quoted(f'/{kind}/{path}')} cannot be resolved here: pin /ipfs/<cid>")
    return items.canonical(path)


def _query(request: web.Request, *names: str):
    return next((request.query[name] for name in names if name in request.query), None)


def _factors(request: web.Request) -> tuple[int, int]:
    """ipfs-cluster's replication options; 0 means the default (every peer), as in its PinOptions."""
    given = [_query(request, "replication-min", "rmin"), _query(request, "replication-max", "rmax")]
    return params.factors(*[None if value in ("0", 0) else value for value in given])


def _filter(request: web.Request) -> set[str] | None:
    text = request.query.get("filter", "")
    wanted = {name for name in text.split(",") if name}
    if wanted - set(STATUS_FILTERS):
        raise ValueError("invalid filter value")
    return wanted or None


class Routes:
    """One handler per endpoint, over the node's ClusterService."""

    def __init__(self, cluster, settings: RestSettings):
        self.cluster, self.settings = cluster, settings

    def _list(self, found: list) -> web.Response:
        return http.listing(found, self.settings.lists)

    async def id(self, _request):
        return web.json_response(views.id_json(self.cluster))

    async def version(self, _request):
        return web.json_response({"version": __version__})

    async def peers(self, _request):
        return self._list(views.peers_json(self.cluster))

    async def graph(self, _request):
        return web.json_response(views.graph_json(self.cluster))

    async def allocations(self, request):
        if "id" not in request.match_info:
            return self._list([views.pin_json(self.cluster, e) for e in self.cluster.pinset.items()])
        key = _key(request)
        entry = self.cluster.pinset.get(key)
        if entry is None:
            raise NotInPinset(key)
        return web.json_response(views.pin_json(self.cluster, entry))

    async def status(self, request):
        if "id" in request.match_info:
            return web.json_response(views.status_json(self.cluster, _key(request)))
        if request.query.get("cids"):
            keys = [items.canonical(text) for text in request.query["cids"].split(",")]
            return self._list([views.status_json(self.cluster, key) for key in keys])
        wanted = _filter(request)
        found = views.statuses_json(self.cluster)
        if wanted:
            found = [item for item in found if {p["status"] for p in item["peer_map"].values()} & wanted]
        return self._list(found)

    async def _pin(self, request, key: str):
        rmin, rmax = _factors(request)
        entry = await self.cluster.add(key, rmin, rmax, _query(request, "name") or "")
        return web.json_response(views.pin_json(self.cluster, entry))

    async def pin(self, request):
        return await self._pin(request, _key(request))

    async def pin_path(self, request):
        return await self._pin(request, _path_key(request))

    async def _unpin(self, key: str):
        removed = await self.cluster.remove(key)
        return web.json_response({**views.pin_json(self.cluster, removed), "allocations": [], "peernames": []})

    async def unpin(self, request):
        return await self._unpin(_key(request))

    async def unpin_path(self, request):
        return await self._unpin(_path_key(request))

    async def recover(self, request):
        key = _key(request) if "id" in request.match_info else None
        await self.cluster.recover(key)
        if key is None:
            return self._list(views.statuses_json(self.cluster))
        return web.json_response(views.status_json(self.cluster, key))

    async def add(self, request):
        options = adder.params(request.query)
        rmin, rmax = _factors(request)
        outputs = []
        for name, data in await adder.files(request, self.settings.body_limit):
            dag = adder.build(data, options)
            self.cluster.store_blocks(dag.blocks)
            allocations = []
            if options.pin:
                entry = await self.cluster.add(items.canonical(str(dag.root)), rmin, rmax,
                                               _query(request, "name") or name)
                allocations = self.cluster.allocation(entry)
            outputs.append({"name": name, "cid": str(dag.root), "size": sum(map(len, dag.blocks.values())),
                            "allocations": allocations})
        return http.stream_lines(outputs[-1:] if options.quiet else outputs)

    async def openapi(self, _request):
        return web.json_response(openapi.DOCUMENT)


def make_app(cluster, user: str, password: str, settings: RestSettings = RestSettings()) -> web.Application:
    if not settings.auth:
        logs.get().warning("cluster_api_open", why="basic auth turned off: anyone who reaches 9094 can pin")
    routes = Routes(cluster, settings)
    app = web.Application(middlewares=http.middlewares(user, password, settings.auth, settings.body_limit),
                          client_max_size=settings.body_limit)
    add = app.router.add_route
    # In ipfs-cluster's order: its router takes the first match.
    for method, path, handler in (
            ("GET", "/id", routes.id), ("GET", "/version", routes.version), ("GET", "/peers", routes.peers),
            ("POST", "/add", routes.add), ("GET", "/allocations", routes.allocations),
            ("GET", "/allocations/{id}", routes.allocations), ("GET", "/pins", routes.status),
            ("POST", "/pins/{id}/recover", routes.recover), ("POST", "/pins/recover", routes.recover),
            ("GET", "/pins/{id}", routes.status), ("POST", "/pins/{id}", routes.pin),
            ("POST", f"/pins/{{kind:{PATH_KINDS}}}/{{path:.*}}", routes.pin_path),
            ("DELETE", "/pins/{id}", routes.unpin),
            ("DELETE", f"/pins/{{kind:{PATH_KINDS}}}/{{path:.*}}", routes.unpin_path),
            ("GET", "/health/graph", routes.graph), ("GET", openapi.PATH, routes.openapi)):
        add(method, path, handler)
    return app
