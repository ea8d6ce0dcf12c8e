"""Whether the harness reaches a host's published ports, asked once per host as its first node starts.

An address the harness cannot reach (an engine in a container, whose URL's host name is not where
its ports are; a firewall) used to surface as a readiness wait running out a minute later, with a
run reported "failed in 0.0s". A TCP connect to the first published port says it in seconds: an
answer or a refusal means the address is reached; silence or "no route" means it is not.
"""

from __future__ import annotations

import socket
import time

from fakenet.errors import ConfigError

TIMEOUT = 10.0  # seconds of silence before a host's address counts as unreachable
HINT = ("give the address the harness reaches it at: `fake hosts add URL --name {host} --reach ADDRESS`, "
        "`fake scenario run --reach {host}=ADDRESS`, or Network(backend=\"hosts\", reach={{\"{host}\": ADDRESS}})")


def reached(address: str, port: int, timeout: float) -> str | None:
    """None where a connection is answered or refused before `timeout`; else why not."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((address, port), timeout=max(0.1, deadline - time.monotonic())):
            return None
    except ConnectionRefusedError:
        return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def check(host: str, address: str, port: int, timeout: float = TIMEOUT) -> None:
    """Raise a ConfigError that names the host, the address and how to give another."""
    why = reached(address, port, timeout)
    if why is not None:
        raise ConfigError(f"the harness cannot reach host {host}'s published ports at {address}:{port} "
                          f"({why} within {timeout:.0f} s); " + HINT.format(host=host))
