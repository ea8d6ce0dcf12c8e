"""Whether a node's port takes TCP connections yet: the cheap first half of waiting for a node.

While 64 containers start on two cores, a node is not listening for tens of seconds, and an RPC
poll through requests costs the harness about half a millisecond of CPU each time it is refused
(a profile of a 64-node start: 4,000 such polls). A bare non-blocking connect that is refused
costs ~10 µs, so the harness connects until the port accepts and only then asks over RPC.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 0.5  # an address with no host yet (the container's interface is not up) never refuses


def accepts(url: str) -> bool:
    """True once something accepts a TCP connection at the url's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT):
            return True
    except OSError:
        return False
