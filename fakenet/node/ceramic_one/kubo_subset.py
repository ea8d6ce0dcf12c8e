"""The Kubo RPC subset ceramic-one serves on /api/v0 of 5101 (rust-ceramic's kubo-rpc/kubo-rpc.yaml),
made from the node's Kubo-style API (ipfs_api.py) with the two ways ceramic-one differs from the
old Kubo that port 5011 models:

- bad input is a 400 with Kubo's error body {"Message", "Code", "Type"} (Kubo answers 500);
- `id` lists the peer's protocols ("Protocols", which Kubo 0.4–0.7 did not send).

Not served: dag/get and dag/resolve (the node has no IPLD path resolver).
"""

from __future__ import annotations

import json

from aiohttp import web

from fakenet.node import ipfs_api

PROTOCOLS = ["/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/ceramic/recon/0.1.0"]


@web.middleware
async def _as_ceramic_one(request: web.Request, handler):
    response = await handler(request)
    if response.status == 500 and _kubo_error(response):
        return web.Response(status=400, body=response.body, content_type="application/json")
    if request.path.endswith("/id") and response.status == 200:
        return web.json_response({**json.loads(response.body), "Protocols": PROTOCOLS})
    return response


def _kubo_error(response: web.Response) -> bool:
    try:
        body = json.loads(response.body)
    except (TypeError, ValueError):
        return False
    return isinstance(body, dict) and {"Message", "Code", "Type"} <= set(body)


def make_app(node) -> web.Application:
    s = node.settings
    app = ipfs_api.make_app(node, s.ipfs_body_limit, s.ipfs_connect_any, prefix="/", port=s.ceramic_one_port)
    app.middlewares.insert(0, _as_ceramic_one)
    return app
