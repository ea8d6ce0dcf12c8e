"""One HTTP/1.0 response read from a socket, bounded in size and in time: engine_socket's (the Docker
engine's answers) and harness/http_once's (a node's answers to `./fake up`'s wait and `./fake status`).

A peer's answer is evidence, not a promise (DESIGN.md: every frame has a size limit and a work budget):
a node kind the user wrote, or anything else listening at a node's address, can answer with an endless
body, or with one byte a second. So the body is read up to the caller's `limit` (over it: TooLarge,
having held at most that much), and the whole answer must come by one `deadline`: a socket timeout alone
restarts on every byte, and held a drip-fed read (and `up` with it) forever. A response that says its
length ends there, without waiting for the peer to close (a server that keeps an HTTP/1.0 connection
open would otherwise hold the read until the deadline).
"""

from __future__ import annotations

import socket
import time

__all__ = ["HEAD_LIMIT", "Malformed", "TooLarge", "read", "read_head"]

# Bytes of status line and headers: the engine's and a node's are a few hundred; Go's net/http refuses a
# request head over 1 MB, and no answer fakenet reads has a reason to come near 64 KiB.
HEAD_LIMIT = 64 * 1024


class Malformed(Exception):
    """Bytes that are not an HTTP/1.0 response fakenet reads: no status line, a chunked or cut-off body."""


class TooLarge(Malformed):
    """A head or body over its limit: nothing legitimate is that large (each limit says why)."""


def read(connection: socket.socket, deadline: float, limit: int) -> tuple[int, dict, bytes]:
    """(status, headers (lower-case names), body) of the response on `connection`, all of it by `deadline`
    (time.monotonic()) or TimeoutError, its body at most `limit` bytes or TooLarge."""
    status, headers, body = read_head(connection, deadline)
    if "chunked" in headers.get("transfer-encoding", "").lower():  # not an answer to HTTP/1.0
        raise Malformed("a chunked answer to an HTTP/1.0 request")
    length = headers.get("content-length")
    if length is not None and not length.isdigit():
        raise Malformed(f"a Content-Length that is not a number: {length[:40]!r}")
    expected = int(length) if length is not None else None
    if (expected if expected is not None else len(body)) > limit:
        raise TooLarge(f"an answer of {expected if expected is not None else len(body)} bytes, over the "
                       f"{limit}-byte limit")
    chunks, received = [body], len(body)
    while expected is None or received < expected:
        chunk = _recv(connection, deadline)
        if not chunk:
            break
        received += len(chunk)
        if received > limit:
            raise TooLarge(f"an answer of more than {limit} bytes (the limit)")
        chunks.append(chunk)
    body = b"".join(chunks)
    if expected is not None and len(body) < expected:
        raise Malformed(f"the answer was cut off: {len(body)} bytes of {expected}")
    return status, headers, body[:expected] if expected is not None else body


def read_head(connection: socket.socket, deadline: float) -> tuple[int, dict, bytes]:
    """(status, headers, the body's first bytes): the head by `deadline`, at most HEAD_LIMIT bytes."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > HEAD_LIMIT:
            raise TooLarge(f"no end of the head in its first {HEAD_LIMIT} bytes")
        chunk = _recv(connection, deadline)
        if not chunk:
            break
        buffer += chunk
    head, separator, body = buffer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    parts = status.split(" ", 2)
    if not separator or len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise Malformed(f"not an HTTP response: {buffer[:80]!r}")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(parts[1]), headers, body


def _recv(connection: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the answer did not all come by the deadline")
    connection.settimeout(left)
    return connection.recv(65536)
