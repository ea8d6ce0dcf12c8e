"""A node that could not start because another program holds one of the host ports it publishes.

The engine says it in its own words (Docker 20.10: `driver failed programming external connectivity on
endpoint fu2-node-1 (af67…): Error starting userland proxy: listen tcp4 127.0.0.1:7007: bind: address
already in use`), which read as the engine failing. The port is the user's machine's (a Ceramic daemon
of their own on 7007, an ipfs-cluster on 9094): said as that, with the setting that moves the port.
"""

from __future__ import annotations

import re

IN_USE = "address already in use"
# The first address:port in the engine's words is the one it tried to bind (the endpoint's id has no colon).
ADDRESS = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d{1,5})\b")


def explained(node: str, words: str, settings: dict[str, str], yours: set[str], fake: str) -> str | None:
    """One line for the engine's `words` where they say a host port is taken, else None. `settings`: the
    environment compose read (the FAKENET_*_HOST_PORT that gave the port is named); `yours`: the names the
    user set (unset, any project but the default gets free ports); `fake`: the command as the user types it."""
    found = ADDRESS.search(words) if IN_USE in words else None
    if found is None:
        return None
    address, port = found.groups()
    names = sorted(name for name, value in settings.items() if name.endswith("_HOST_PORT") and value == port)
    if names and names[0] in yours:
        move = f"set {names[0]} to a free port, or unset it for one picked free"
    elif names:
        move = f"set {names[0]} to a free port, or use another project (-p NAME), whose ports are picked free"
    else:
        move = "free it, or publish on another port"
    return (f"{node} cannot publish {address}:{port}: another program on this machine listens there ({move}); "
            f"the nodes started stay (`{fake} down -v` removes them)")
