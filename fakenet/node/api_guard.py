"""What keeps the stream API on 7007 safe to leave running on a developer's laptop.

Any web page the developer opens can send requests to 127.0.0.1:7007. Browsers protect the
API only as far as it takes part in CORS, so here:

- CORS as Ceramic's `cors-allowed-origins`: regular expressions, matched anywhere in the Origin
  as Ceramic's cors middleware matches them (anchor them: `^https://app\\.example$`). Default
  none, unlike Ceramic: no Access-Control-Allow-Origin for any page, preflights refused (403).
- Writes must say `Content-Type: application/json`. A page may send a text/plain, form or
  bodiless POST to another origin without a preflight; a JSON one needs the preflight the CORS
  policy refuses. Other writes get 415.
- A write that carries an Origin outside the policy is refused (403) outright: the browser would
  hide the answer from the page, but the write would already have happened.
- Bodies over the limit (1 MiB by default, as Ceramic's `express.json({limit: '1mb'})`) get 413
  before they are read.
- With an admin token set (FAKENET_API_ADMIN_TOKEN), pin, unpin and model indexing need
  `Authorization: Bearer <token>`.
- Every answer, errors included, is JSON `{"error": …}`: malformed input is a 400, never a
  plain-text 500.
"""

from __future__ import annotations

import hmac
import json
import re

from aiohttp import web

from fakenet.node import http_errors
from fakenet.node import excerpt
from fakenet.node.errors import NodeError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PIN_PATHS = ("/api/v0/pins", "/api/v0/admin/pins")
ADMIN_PATHS = PIN_PATHS + ("/api/v0/admin/models", "/api/v0/admin/modelData")  # writes here need the admin token
PREFLIGHT_MAX_AGE = "7200"  # seconds, as Ceramic's daemon answers


def error(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"error": excerpt.bounded(message)}, status=status, headers=headers)


class OriginPolicy:
    def __init__(self, patterns: tuple[str, ...] | list[str]):
        self.patterns = [self._compile(p) for p in patterns]

    @staticmethod
    def _compile(pattern: str) -> re.Pattern:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise NodeError(f"cors-allowed-origins: {pattern!r} is not a regular expression: {exc}") from exc

    def allows(self, origin: str | None) -> bool:
        return origin is not None and any(p.search(origin) for p in self.patterns)


def cors(policy: OriginPolicy):
    @web.middleware
    async def middleware(request: web.Request, handler):
        origin = request.headers.get("Origin")
        allowed = policy.allows(origin)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return _preflight(request, origin) if allowed else error(
                403, f"origin {excerpt.quoted(origin)} is not allowed to call this API (cors-allowed-origins)")
        if origin is not None and not allowed and request.method not in SAFE_METHODS:
            return error(403, f"origin {excerpt.quoted(origin)} is not allowed to change anything here (cors-allowed-origins)")
        response = await handler(request)
        if allowed:
            response.headers.update({"Access-Control-Allow-Origin": origin,
                                     "Access-Control-Allow-Credentials": "true", "Vary": "Origin"})
        return response

    return middleware


def _preflight(request: web.Request, origin: str) -> web.Response:
    headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
               "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
               "Access-Control-Max-Age": PREFLIGHT_MAX_AGE, "Vary": "Origin"}
    if "Access-Control-Request-Headers" in request.headers:
        headers["Access-Control-Allow-Headers"] = request.headers["Access-Control-Request-Headers"]
    return web.Response(status=204, headers=headers)


def writes(body_limit: int, admin_token: str | None):
    """Body limit, JSON-only writes and the admin token, checked before a handler reads anything."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.content_length is not None and request.content_length > body_limit:
            return error(413, f"request body of {request.content_length} bytes is over the {body_limit}-byte limit")
        if request.method not in SAFE_METHODS and not _json_or_empty_delete(request):
            return error(415, f"{request.method} needs Content-Type: application/json, "
                              f"got {excerpt.quoted(request.headers.get('Content-Type', 'none'))}")
        if admin_token and request.method not in SAFE_METHODS and request.path.startswith(ADMIN_PATHS):
            presented = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(presented.encode(), admin_token.encode()):
                return error(401, "pinning and model indexing need the node's admin token: Authorization: Bearer <token>",
                             {"WWW-Authenticate": 'Bearer realm="fakenet"'})
        return await handler(request)

    return middleware


def _json_or_empty_delete(request: web.Request) -> bool:
    # A DELETE is never sent cross-origin without a preflight, and clients send it bodiless.
    if request.method == "DELETE" and not request.body_exists:
        return True
    return request.content_type == "application/json"


# What a malformed body raises comes before the API's own errors, a malformed request's catch-all after them.
_BAD_BODY = (((json.JSONDecodeError, UnicodeDecodeError), 400, lambda exc: f"request body is not JSON: {exc}"),
             (RecursionError, 400, lambda exc: "request body is nested too deeply"))
_BAD_REQUEST = ((KeyError, TypeError, ValueError, AttributeError), 400, lambda exc: f"bad request: {excerpt.clip(repr(exc))}")


def errors(statuses: tuple[tuple[type, int], ...]):
    """Every failure as a JSON error; `statuses` maps the node's errors to HTTP statuses."""
    return http_errors.middleware(error, _BAD_BODY + http_errors.mapped(statuses) + (_BAD_REQUEST,),
                                  "api_internal_error", http_message=_http_message)


def _http_message(exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return f"request body is over the limit: {exc.text}"
    return exc.reason
