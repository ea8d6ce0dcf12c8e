"""Requests to a Docker engine on this machine's unix socket, with the standard library alone: JSON
GETs, a POST with no body (a container's start) and one streamed GET (the event stream).

`./fake up` asks the engine a handful of questions before compose can run (is the image there, which
subnet, are the code copies there, has the project containers), and everything after waits on compose.
Through the docker SDK those questions first cost its import (requests, urllib3: ~70 ms of CPU, half of
the command's start, issue 28); here they cost a connect and a read each. Once compose has created the
project, `up` starts its containers, follows their creates, lists them and reads their addresses
(socket_client): first only GETs were done here and the SDK was imported for those while compose ran,
but on two saturated cores that import was CPU taken from the engine starting the containers, so the
starts and the one stream came here too. Nothing else: the SDK stays the one client for every other
write, for builds, copies, execs and logs, and for every engine not on a unix socket (ssh://, tcp://,
TLS). An answer this module does not expect (not JSON, an error status it does not name, a cut-off
body, no engine) raises Unanswered, on which the caller asks the SDK instead; an engine that does not
answer in time is an error (ContainerError), not asked twice.

HTTP/1.0, not http.client: its import (email, ssl, calendar) is ~15 ms of the CPU this saves. A 1.0
request gets a response ended by the engine closing the connection (no chunks, no keep-alive), so
reading to the end and splitting off the head is the whole protocol (http_reply, bounded in size and
time); a stream is the same body read as it comes, one JSON object after another.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlencode

from fakenet import http_reply
from fakenet.errors import ContainerError

DEFAULT_SOCKET = "/var/run/docker.sock"  # the SDK's default when DOCKER_HOST is unset
# Seconds for a whole answer, as the SDK's default timeout (which, per read, a drip-fed answer restarts:
# here it is one deadline for the answer, http_reply). A start answers once started, and that is all
# that takes long here.
TIMEOUT = 60.0
# Bytes of one answer. The largest `up` reads is a listing: the engine's networks (~0.4 KB each) or one
# project's containers (~2.2 KB each listed, ~7.5 KB inspected, measured on Docker 27): 32 MiB is some
# 15,000 containers in one project. Past it the engine (or whatever listens on its socket) is not
# answering a question fakenet asked: an error, not the SDK asked to read it all.
ANSWER_LIMIT = 32 * 1024 * 1024
# Bytes of one event of the stream (one line): a create carries the container's labels, ~1-2 KB.
EVENT_LIMIT = 1024 * 1024


class Unanswered(Exception):
    """Not an answer this client reads: ask the SDK (whose error, if the engine is down, is the user's)."""


class Refused(Exception):
    """The engine's own refusal of a POST: its status and message (`explanation`, as the SDK's APIError)."""

    def __init__(self, status: int, explanation: str):
        super().__init__(f"{status}: {explanation}")
        self.status_code, self.explanation = status, explanation


def refusal(exc: BaseException) -> tuple[int, str] | None:
    """(status, the engine's words) where `exc` is the engine refusing a call, from either client (this
    module's Refused, the SDK's APIError); None for anything else (a connection lost, a bug)."""
    if isinstance(exc, Refused):
        return exc.status_code, exc.explanation
    errors = sys.modules.get("docker.errors")  # an SDK error exists only once the SDK is imported
    if errors is not None and isinstance(exc, errors.APIError):
        return exc.status_code or 0, str(exc.explanation or exc)
    return None


def local_path() -> str | None:
    """The engine's unix socket as the SDK would find it from the environment, or None if it would not
    use one (DOCKER_HOST names tcp://, ssh://, …). DOCKER_HOST unset, the SDK (and compose) use the Docker
    CLI's current context: DOCKER_CONTEXT, else config.json's currentContext (`docker context use`)."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host:
        host = _context_host()
        if host is None:
            return DEFAULT_SOCKET
    if host.startswith("unix://"):
        path = host[len("unix://"):]
        return path if path.startswith("/") else None  # unix://var/…: the SDK's own reading (/var/…, lower-cased)
    return None


def _context_host() -> str | None:
    """The current context's engine URL, None for the default context; "" (not a socket: ask the SDK) for
    a context this does not read as the SDK would. The SDK's lookup (docker/context/config.py): the first
    config.json of $DOCKER_CONFIG and ~/.docker, the context's meta.json beside it by its name's sha256."""
    configs = [Path(os.environ["DOCKER_CONFIG"], "config.json")] if os.environ.get("DOCKER_CONFIG") else []
    configs.append(Path(os.path.expanduser("~"), ".docker", "config.json"))  # expanduser: no HOME is no error
    config = next((path for path in configs if os.path.exists(path)), None)
    name = os.environ.get("DOCKER_CONTEXT")
    if not name and config is not None:
        try:
            name = json.loads(config.read_text()).get("currentContext")
        except (OSError, ValueError, AttributeError):  # the SDK takes an unreadable config for the default
            return None
    if not name or name == "default":
        return None
    if config is None or not isinstance(name, str):  # the SDK finds no such context either, and says why
        return ""
    import hashlib

    try:
        meta = json.loads((config.parent / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
                           / "meta.json").read_text())
        return str(meta["Endpoints"]["docker"]["Host"]).strip()
    except (OSError, ValueError, KeyError, TypeError):
        return ""


class EngineSocket:
    def __init__(self, path: str, timeout: float = TIMEOUT):
        self.path, self.timeout = path, timeout

    def get(self, path: str, **query) -> object | None:
        """The JSON the engine answers to GET `path` (quoted here as the SDK quotes it), None for a 404."""
        target = _target(path, query)
        status, body = self._exchange("GET", target)
        if status == 404:
            return None
        if status != 200:
            raise Unanswered(f"GET {target}: {status}")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise Unanswered(f"GET {target}: not JSON") from exc

    def post(self, path: str, **query) -> int:
        """POST `path` with no body; the status where the engine did it (2xx) or had nothing to do (304).
        A refusal it explains in JSON raises Refused; a start is safe to ask the SDK again after any
        Unanswered (the engine answers 304 to starting a running container)."""
        target = _target(path, query)
        status, body = self._exchange("POST", target)
        if 200 <= status < 300 or status == 304:
            return status
        try:
            message = json.loads(body)["message"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Unanswered(f"POST {target}: {status}") from exc
        raise Refused(status, str(message))

    def stream(self, path: str, **query) -> Stream:
        """The JSON objects the engine streams to GET `path` (its events), as they come."""
        target = _target(path, query)
        connection = self._connect("GET", target)
        try:
            stream = Stream(connection, target)
            stream.read_head(self.path, self.timeout)
        except BaseException:
            connection.close()
            raise
        return stream

    def _connect(self, method: str, target: str) -> socket.socket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.settimeout(self.timeout)
            connection.connect(self.path)
            length = "Content-Length: 0\r\n" if method == "POST" else ""
            connection.sendall(f"{method} {target} HTTP/1.0\r\nHost: docker\r\n{length}\r\n".encode("ascii"))
        except TimeoutError as exc:
            connection.close()
            raise _late(self.path, method, target, self.timeout) from exc
        except OSError as exc:
            connection.close()
            raise Unanswered(f"{self.path}: {exc}") from exc
        return connection

    def _exchange(self, method: str, target: str) -> tuple[int, bytes]:
        with self._connect(method, target) as connection:
            try:
                status, _, body = http_reply.read(connection, time.monotonic() + self.timeout, ANSWER_LIMIT)
            except TimeoutError as exc:  # the SDK would wait as long again: say so instead
                raise _late(self.path, method, target, self.timeout) from exc
            except http_reply.TooLarge as exc:
                raise _oversized(self.path, method, target, exc) from exc
            except http_reply.Malformed as exc:
                raise Unanswered(f"{method} {target}: {exc}") from exc
            except OSError as exc:
                raise Unanswered(f"{self.path}: {exc}") from exc
        return status, body


class Stream:
    """A streamed body, iterated as JSON objects; `close()` from another thread ends the iteration."""

    def __init__(self, connection: socket.socket, target: str):
        self._connection, self._target = connection, target
        self._buffer = b""
        self._closed = threading.Event()

    def read_head(self, path: str, timeout: float) -> None:
        try:
            status, headers, self._buffer = http_reply.read_head(self._connection, time.monotonic() + timeout)
        except TimeoutError as exc:
            raise _late(path, "GET", self._target, timeout) from exc
        except http_reply.TooLarge as exc:
            raise _oversized(path, "GET", self._target, exc) from exc
        except http_reply.Malformed as exc:
            raise Unanswered(f"GET {self._target}: {exc}") from exc
        except OSError as exc:
            raise Unanswered(f"{path}: {exc}") from exc
        if status != 200 or "chunked" in headers.get("transfer-encoding", "").lower():
            raise Unanswered(f"GET {self._target}: {status} {headers.get('transfer-encoding', '')}")
        self._connection.settimeout(None)  # events come when they come

    def __iter__(self) -> Iterator[dict]:
        """The engine writes one object a line (Go's json.Encoder); a line that is not one, or that has no
        end within EVENT_LIMIT bytes, ends the stream as the engine closing it would (its reader,
        compose_start, then starts what is left at the end): the buffer never holds more than that."""
        while True:
            while b"\n" in self._buffer:
                line, _, self._buffer = self._buffer.partition(b"\n")
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError:
                        return
            if len(self._buffer) > EVENT_LIMIT:
                return
            try:
                chunk = self._connection.recv(65536)
            except OSError:
                chunk = b""
            if not chunk or self._closed.is_set():
                return
            self._buffer += chunk

    def close(self) -> None:
        """From any thread: a recv under way returns at once (shutdown, not close, wakes it on Linux)."""
        self._closed.set()
        try:
            self._connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._connection.close()


def _target(path: str, query: dict) -> str:
    return quote(path, safe="/:") + (f"?{urlencode(query)}" if query else "")


def _late(path: str, method: str, target: str, timeout: float) -> ContainerError:
    return ContainerError(f"the Docker engine at {path} did not answer {method} {target} within {timeout:.0f} s")


def _oversized(path: str, method: str, target: str, exc: http_reply.TooLarge) -> ContainerError:
    return ContainerError(f"the answer to {method} {target} at {path} is too large to be the Docker engine's: {exc}")
