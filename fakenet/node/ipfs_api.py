"""IPFS-style HTTP RPC on 5011 (a Kubo subset). Placeholder until the full subset lands."""

from __future__ import annotations

from aiohttp import web


def make_app(node) -> web.Application:
    return web.Application()
