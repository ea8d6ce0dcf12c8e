"""One HTTP/1.0 POST on a connection of its own, with the standard library alone: the RPC transport of
`./fake up`'s wait and `./fake status` (rpc.RpcClient(..., transport=Once(user, password))).

The harness's transport is a requests Session (keep-alive, a pool per client); importing requests and
urllib3 is ~55 ms of CPU, a quarter of `./fake up`'s own (issue 28), for a wait that asks each node
about twice. Here an ask is a connect, one write and reads to the close: HTTP/1.0 makes the node's
server (h11 for ours, libevent for Litecoin Core) end the body by closing, so no chunks and no
keep-alive to parse. Not http.client: its import (email, calendar) is ~14 ms more.

Failures keep requests' distinctions, which the wait decides by (netstatus): a connect refused
(ConnectionRefusedError: a node not listening yet), a connect that timed out (ConnectTimeout: an
address this host does not route to), a read that timed out (ReadTimeout: a node that took too long),
all OSErrors as requests' are, so RpcClient turns each into an RpcError the same way.
"""

from __future__ import annotations

import base64
import socket
from urllib.parse import urlsplit

__all__ = ["ConnectTimeout", "Once", "ReadTimeout", "post"]


class ConnectTimeout(TimeoutError):
    """No connection within the timeout: nothing answered at that address (filtered, unroutable)."""


class ReadTimeout(TimeoutError):
    """Connected, but the answer did not come within the timeout."""


class BadResponse(OSError):
    """Bytes that are not an HTTP response (a cut-off answer, another protocol)."""


def post(url: str, data: bytes, timeout: float, authorization: str = "") -> tuple[int, bytes]:
    """(status, body) of POST `data` (JSON) to an http:// `url`; `authorization`: a header value."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"POST {target} HTTP/1.0", f"Host: {parts.netloc}", "Content-Type: application/json",
            f"Content-Length: {len(data)}"] + ([f"Authorization: {authorization}"] if authorization else [])
    try:
        connection = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
    except TimeoutError as exc:
        raise ConnectTimeout(f"connect to {parts.netloc} timed out after {timeout} s") from exc
    with connection:
        try:
            connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except TimeoutError as exc:
            raise ReadTimeout(f"{parts.netloc} did not answer within {timeout} s") from exc
    return _parsed(b"".join(chunks))


def _parsed(response: bytes) -> tuple[int, bytes]:
    head, separator, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    parts = status.split(" ", 2)
    if not separator or len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise BadResponse(f"not an HTTP response: {response[:80]!r}")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    if "chunked" in headers.get("transfer-encoding", "").lower():  # not an answer to HTTP/1.0
        raise BadResponse("a chunked answer to an HTTP/1.0 request")
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) != len(body)):
        raise BadResponse(f"the answer was cut off: {len(body)} bytes of {length}")
    return int(parts[1]), body


class Once:
    """RpcClient's transport: every call a connection of its own, basic auth as requests sends it."""

    def __init__(self, user: str, password: str):
        self._authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode("latin-1")).decode("ascii")

    def post(self, url: str, data: bytes, timeout: float) -> tuple[int, bytes]:
        return post(url, data, timeout, self._authorization)

    def close(self) -> None:
        pass
