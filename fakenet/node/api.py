"""The stream HTTP API on 7007 (Ceramic-daemon style). For now: the healthcheck."""

from __future__ import annotations

from aiohttp import web


def make_app(node) -> web.Application:
    async def healthcheck(_request: web.Request) -> web.Response:
        if node.ready:
            return web.Response(text="Alive!")
        return web.Response(status=503, text="Not ready")

    app = web.Application()
    app.router.add_get("/api/v0/node/healthcheck", healthcheck)
    return app
