"""How 9094 speaks HTTP as ipfs-cluster does: errors, optional basic auth, body limit, list bodies.

Errors are ipfs-cluster's `{"code", "message"}` with the HTTP status in `code`, whatever went
wrong: a refused request, an unknown route, a body over the limit, or a bug (500, logged).

Lists: ipfs-cluster 1.x streams them, one JSON object per line, and answers 204 with no body
when there is nothing to list; 0.x sent one JSON array. Clients written for 0.x (PyPI's
`ipfscluster` 0.2.0 reads only the first object of a stream) need `array`.
"""

from __future__ import annotations

import json

from aiohttp import web

from fakenet.node import excerpt, http_errors
from fakenet.node.log_budget import LogBudget
from fakenet.node.cluster.errors import ClusterTooSmall, NotEnoughPeers, NotInPinset
from fakenet.node.rpc.server import credentials_ok  # one basic-auth check for both APIs

STREAM, ARRAY = "stream", "array"
LIST_FORMATS = (STREAM, ARRAY)
REALM = 'Basic realm="Restricted IPFS Cluster API"'
# A down peer's absence is the cluster's state (503: retry later); an impossible rmin is the request's (400).
_STATUS = ((NotInPinset, 404), (ClusterTooSmall, 400), (NotEnoughPeers, 503), (ValueError, 400))


class BodyTooLarge(web.HTTPRequestEntityTooLarge):
    def __init__(self, limit: int):
        super().__init__(max_size=limit, actual_size=-1, text=f"request body is over the limit of {limit} bytes")


def error(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"code": status, "message": excerpt.bounded(message)}, status=status, headers=headers)


def middlewares(user: str, password: str, auth: bool, body_limit: int) -> list:
    budget = LogBudget()  # anyone who reaches 9094 can send wrong credentials: a flood writes a few lines, counted

    errors = http_errors.middleware(error, http_errors.mapped(_STATUS), "cluster_api_crashed",
                                    headers=("Allow", "WWW-Authenticate"), http_message=lambda exc: exc.text or exc.reason)

    @web.middleware
    async def authorized(request: web.Request, handler):
        if auth and not credentials_ok(request.headers.get("Authorization"), user, password):
            budget.warning("cluster_api_unauthorized", remote=request.remote)
            return error(401, "Unauthorized", {"WWW-Authenticate": REALM})
        return await handler(request)

    @web.middleware
    async def limited(request: web.Request, handler):
        if request.content_length is not None and request.content_length > body_limit:
            raise BodyTooLarge(body_limit)
        return await handler(request)

    return [errors, authorized, limited]


def listing(items: list, form: str) -> web.Response:
    if form == ARRAY:
        return web.json_response(items)
    if not items:
        return web.Response(status=204)
    body = "".join(json.dumps(item) + "\n" for item in items)
    return web.Response(text=body, content_type="application/json", headers={"X-Stream-Error": ""})


def stream_lines(items: list) -> web.Response:
    """Output that ipfs-cluster streams in every version (`/add`)."""
    return web.Response(text="".join(json.dumps(item) + "\n" for item in items), content_type="application/json",
                        headers={"X-Stream-Error": ""})
