"""One HTTP/1.0 POST on a connection of its own, with the standard library alone: the RPC transport of
`./fake up`'s wait and `./fake status` (rpc.RpcClient(..., transport=Once(user, password))).

The harness's transport is a requests Session (keep-alive, a pool per client); importing requests and
urllib3 is ~55 ms of CPU, a quarter of `./fake up`'s own (issue 28), for a wait that asks each node
about twice. Here an ask is a connect, one write and reads to the close: HTTP/1.0 makes the node's
server (h11 for ours, libevent for Litecoin Core) end the body by closing, so no chunks and no
keep-alive to parse. Not http.client: its import (email, calendar) is ~14 ms more. The answer is
bounded (http_reply): at most ANSWER_LIMIT bytes, all of it within the timeout (requests' read timeout
restarted on every byte: a node dripping its answer held the wait past its own timeout, forever).

Failures keep requests' distinctions, which the wait decides by (netstatus): a connect refused
(ConnectionRefusedError: a node not listening yet), a connect that timed out (ConnectTimeout: an
address this host does not route to), a read that timed out (ReadTimeout: a node that took too long),
an answer that is not one (BadResponse: cut off, another protocol, over the limit), all OSErrors as
requests' are, so RpcClient turns each into an RpcError the same way.
"""

from __future__ import annotations

import base64
import socket
import time
from urllib.parse import urlsplit

from fakenet import http_reply

__all__ = ["ANSWER_LIMIT", "BadResponse", "ConnectTimeout", "Once", "ReadTimeout", "post"]

# Bytes of one answer. What is asked over this transport is a node's summary (netstatus): ours is one
# batch of ~0.5 KB; Litecoin Core's largest part is getpeerinfo, ~1.2 KB a peer, ~150 KB at its default
# 125 connections. 4 MiB leaves a user's kind room to ask more, and is not a summary past that.
ANSWER_LIMIT = 4 * 1024 * 1024


class ConnectTimeout(TimeoutError):
    """No connection within the timeout: nothing answered at that address (filtered, unroutable)."""


class ReadTimeout(TimeoutError):
    """Connected, but the answer did not come within the timeout."""


class BadResponse(OSError):
    """Bytes that are not an HTTP response fakenet reads (a cut-off answer, another protocol, one over
    the limit)."""


def post(url: str, data: bytes, timeout: float, authorization: str = "",
         limit: int = ANSWER_LIMIT) -> tuple[int, bytes]:
    """(status, body) of POST `data` (JSON) to an http:// `url`; `authorization`: a header value. The
    connect within `timeout`, then the whole answer (at most `limit` bytes) within `timeout` more."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"POST {target} HTTP/1.0", f"Host: {parts.netloc}", "Content-Type: application/json",
            f"Content-Length: {len(data)}"] + ([f"Authorization: {authorization}"] if authorization else [])
    # An ASCII host as bytes: getaddrinfo encodes a str one with the idna codec, whose import (unicodedata,
    # stringprep) was ~5 M instructions of `./fake up`'s wait for a node's IP address (issue 28); for an
    # ASCII name the codec gives the same bytes.
    host = parts.hostname.encode("ascii") if parts.hostname.isascii() else parts.hostname
    try:
        connection = socket.create_connection((host, parts.port or 80), timeout=timeout)
    except TimeoutError as exc:
        raise ConnectTimeout(f"connect to {parts.netloc} timed out after {timeout} s") from exc
    with connection:
        try:
            connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
            status, _, body = http_reply.read(connection, time.monotonic() + timeout, limit)
        except TimeoutError as exc:
            raise ReadTimeout(f"{parts.netloc} did not answer within {timeout} s") from exc
        except http_reply.Malformed as exc:
            raise BadResponse(f"{parts.netloc} sent what is not an answer fakenet reads: {exc}") from exc
    return status, body


class Once:
    """RpcClient's transport: every call a connection of its own, basic auth as requests sends it."""

    def __init__(self, user: str, password: str):
        self._authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode("latin-1")).decode("ascii")

    def post(self, url: str, data: bytes, timeout: float) -> tuple[int, bytes]:
        return post(url, data, timeout, self._authorization)

    def close(self) -> None:
        pass
