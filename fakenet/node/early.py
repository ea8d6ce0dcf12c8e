"""The `fakenet-node` command: the node's HTTP ports listen before its modules load.

A node answers nothing until `fakenet.node.daemon` and what it imports are loaded, most of its
start-up CPU (seconds on a loaded machine). Until now its ports were bound only after that, so
the readiness probes of `./fake up` and the harness were refused meanwhile and asked again after
a back-off; bound first, a probe is accepted by the kernel and waits in the backlog, and the
node answers it the moment it serves. `http_ports.listening_socket` takes these sockets instead
of binding again; a port in use is left to it, so that fails the start as before.

Only where the command line is empty and the addresses come from the environment (a container's
`fakenet-node`, as compose and the docker backend start it, and the local backend's fresh
`python -m fakenet.node`): a command line could name other ports, and parsing it is the settings module, a quarter of the imports this runs ahead of.

The collector is off while the modules load, and what they made is frozen before it is back on:
its passes over objects that live as long as the process were ~10 % of the imports' CPU.

asyncio is imported without `ssl` (load_daemon): asyncio imports it if it can, 3.6 % of what a node
runs before it answers RPC (callgrind: 16 M of 450 M instructions; ~6 ms by -X importtime in a
container, whose `ssl` and `_ssl` are read through the storage driver), and the node opens no TLS connection, listening or dialling: its swarm links
are encrypted by its own channel (secure_channel.py), its RPC and HTTP ports are plain HTTP, and it
has no HTTP client. `ssl` is importable afterwards as always (aiohttp imports it with the apps);
only asyncio's own TLS stays off in a node process, never silently: `start_tls` or a connection
given an SSL context raises RuntimeError, and a server given one closes each connection it accepts
(asyncio logs the RuntimeError); none of them carries a byte in the clear.
"""

from __future__ import annotations

import gc
import os
import socket
import sys

# Defaults of the settings (settings.py imports them from here) and their variables' names.
SWARM_PORT, IPFS_PORT, RPC_PORT, API_PORT = 4011, 5011, 6433, 7007
CLUSTER_PORT = 9094
CERAMIC_ONE_PORT = 5101  # ceramic-one's default (rust-ceramic: --bind-address 0.0.0.0:5101)
HTTP_PORTS = {"RPC_PORT": RPC_PORT, "CLUSTER_PORT": CLUSTER_PORT, "API_PORT": API_PORT,
              "CERAMIC_ONE_PORT": CERAMIC_ONE_PORT, "IPFS_PORT": IPFS_PORT}
BIND_DEFAULT = "127.0.0.1"
BACKLOG = 512  # connections the kernel holds for a port whose server is still loading

_bound: dict[tuple[str, int], socket.socket] = {}


def main(argv: list[str] | None = None) -> int:
    return start(argv).main(argv)


def start(argv: list[str] | None = None):
    """All that main does before the daemon's own main (ports bound, modules loaded, what they made
    frozen): fakenet.node.daemon, loaded. A probe (bench/node_ready.py) starts a node through it too."""
    gc.disable()
    if not (sys.argv[1:] if argv is None else argv):
        bind(os.environ)
    daemon = load_daemon()
    gc.freeze()
    gc.enable()
    return daemon


def load_daemon():
    """Import fakenet.node.daemon, asyncio first without `ssl` (the module's docstring says why).
    Only in a process whose asyncio is not loaded yet, nor ssl: otherwise a no-op before the import."""
    if "asyncio" not in sys.modules and "ssl" not in sys.modules:
        sys.modules["ssl"] = None  # `import ssl` raises ImportError: asyncio's `ssl = None` branch
        try:
            import asyncio  # noqa: F401
        finally:
            del sys.modules["ssl"]
    from fakenet.node import daemon

    return daemon


def family(host: str) -> socket.AddressFamily | None:
    """A literal address's family; None for a name."""
    for candidate in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(candidate, host)
            return candidate
        except OSError:
            pass
    return None


def bind(environ) -> list[tuple[str, int]]:
    """Listen on the HTTP ports the environment names (or their defaults); all or none. What was bound."""
    try:
        host = environ.get("FAKENET_BIND", BIND_DEFAULT)
        ports = [int(environ.get(f"FAKENET_{name}", default)) for name, default in HTTP_PORTS.items()]
        if family(host) is None:
            return []  # a name: resolved by the settings, as before
        for port in ports:
            _bound[(host, port)] = socket.create_server((host, port), family=family(host), backlog=BACKLOG)
    except (ValueError, OSError):  # a bad value or a port in use: the settings and the bind say so, as before
        release()
        return []
    return list(_bound)


def take(host: str, port: int) -> socket.socket | None:
    """The socket listening on (host, port) since start, once; None if there is none."""
    return _bound.pop((host, port), None)


def release() -> None:
    while _bound:
        _bound.popitem()[1].close()
