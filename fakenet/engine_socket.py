"""GET requests to a Docker engine on this machine's unix socket, with the standard library alone.

`./fake up` asks the engine a handful of questions before compose can run (is the image there, which
subnet, are the code copies there, has the project containers), and everything after waits on compose.
Through the docker SDK those questions first cost its import (requests, urllib3: ~70 ms of CPU, half of
the command's start, issue 28); here they cost a connect and a read each, and the SDK is imported while
compose runs. Only GETs of JSON, only a unix socket: the SDK stays the one client for everything else
(ssh://, tcp://, TLS, streams, writes), and an answer this module does not expect (not JSON, an error
status, a cut-off body, no engine) raises Unanswered, on which the caller asks the SDK instead; an engine
that does not answer in time is an error (ContainerError), not asked twice.

HTTP/1.0, not http.client: its import (email, ssl, calendar) is ~15 ms of the CPU this saves. A 1.0
request gets a response ended by the engine closing the connection (no chunks, no keep-alive), so
reading to the end and splitting off the head is the whole protocol.
"""

from __future__ import annotations

import json
import os
import socket
from urllib.parse import quote, urlencode

from fakenet.errors import ContainerError

DEFAULT_SOCKET = "/var/run/docker.sock"  # the SDK's default when DOCKER_HOST is unset
TIMEOUT = 60.0  # seconds, as the SDK's default


class Unanswered(Exception):
    """Not an answer this client reads: ask the SDK (whose error, if the engine is down, is the user's)."""


def local_path() -> str | None:
    """The engine's unix socket as the SDK would find it from the environment, or None if it would not
    use one (DOCKER_HOST names tcp://, ssh://, …)."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host:
        return DEFAULT_SOCKET
    if host.startswith("unix://"):
        return host[len("unix://"):] or None
    return None


class EngineSocket:
    def __init__(self, path: str, timeout: float = TIMEOUT):
        self.path, self.timeout = path, timeout

    def get(self, path: str, **query) -> object | None:
        """The JSON the engine answers to GET `path` (quoted here as the SDK quotes it), None for a 404."""
        target = quote(path, safe="/:") + (f"?{urlencode(query)}" if query else "")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(self.timeout)
                connection.connect(self.path)
                connection.sendall(f"GET {target} HTTP/1.0\r\nHost: docker\r\n\r\n".encode("ascii"))
                chunks = []
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
        except TimeoutError as exc:  # the SDK would wait as long again: say so instead
            raise ContainerError(f"the Docker engine at {self.path} did not answer GET {target} within "
                                 f"{self.timeout:.0f} s") from exc
        except OSError as exc:
            raise Unanswered(f"{self.path}: {exc}") from exc
        return _json_of(target, b"".join(chunks))


def _json_of(target: str, response: bytes) -> object | None:
    head, separator, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    parts = status.split(" ", 2)
    if not separator or len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise Unanswered(f"GET {target}: not an HTTP response")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise Unanswered(f"GET {target}: a chunked body")
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) != len(body)):
        raise Unanswered(f"GET {target}: {len(body)} bytes of {length}")
    if parts[1] == "404":
        return None
    if parts[1] != "200":
        raise Unanswered(f"GET {target}: {status}")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Unanswered(f"GET {target}: not JSON") from exc
