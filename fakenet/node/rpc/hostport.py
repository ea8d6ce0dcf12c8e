"""bitcoin-core's peer address, HOST:PORT (`[v6]:PORT` for IPv6), as the multiaddr the swarm dials."""

from __future__ import annotations

import ipaddress


def to_multiaddr(text):
    """A multiaddr unchanged (and anything not a string: the parser refuses it), HOST:PORT converted."""
    if not isinstance(text, str) or text.startswith("/") or ":" not in text:
        return text
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    try:
        protocol = "ip4" if ipaddress.ip_address(host).version == 4 else "ip6"
    except ValueError:
        protocol = "dns4"
    return f"/{protocol}/{host}/tcp/{port}"
