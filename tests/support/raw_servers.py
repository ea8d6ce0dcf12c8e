"""Raw servers for the tests of fakenet's own HTTP/1.0 readers (engine_socket, http_once, http_reply): a
listening socket whose every connection is handled in a thread of its own, and a request's head read."""

from __future__ import annotations

import socket
import threading
from typing import Callable


def serve(listener: socket.socket, handle: Callable[[socket.socket], None]) -> None:
    """Accept on `listener` until the process ends; `handle(connection)` each in a thread of its own."""
    def accept():
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def read_head(connection: socket.socket) -> bytes:
    """The request read up to the end of its head (and whatever of its body came with it); b"" if the
    client hung up first."""
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = connection.recv(4096)
        if not chunk:
            break
        request += chunk
    return request
