"""The small multiaddr subset fakenet's peerlists use: /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/p2p/PEERID]."""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

from fakenet.node import excerpt
from fakenet.node.errors import NodeConfigError

_HOST_PROTOCOLS = {"ip4", "ip6", "dns", "dns4", "dns6"}
# A DNS name the resolver takes: labels of 1-63 letters, digits, hyphens or underscores (compose's
# container names have them), 253 characters in all. A longer label reached the resolver and failed
# there as an unretrieved task's UnicodeError ("label too long") after `addnode` had answered.
_DNS_NAME = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.?\Z")


class PeerAddr(NamedTuple):
    """A peer's multiaddr, parsed: where to dial it and, if the address names one, its PeerID."""

    host_protocol: str
    host: str
    port: int
    peer_id: str | None = None

    @property
    def dial_addr(self) -> str:
        """The address without /p2p/: the key the trust-on-first-use peerstore is indexed by."""
        return f"/{self.host_protocol}/{self.host}/tcp/{self.port}"

    def __str__(self) -> str:
        return self.dial_addr + (f"/p2p/{self.peer_id}" if self.peer_id else "")


def parse(text: str) -> PeerAddr:
    if not isinstance(text, str):  # an RPC parameter may be any JSON value
        raise NodeConfigError(f"bad peer address {excerpt.quoted(text)}: expected a string /dns4/HOST/tcp/PORT[/p2p/PEERID]")
    parts = text.strip().split("/")
    if len(parts) not in (5, 7) or parts[0] != "" or parts[1] not in _HOST_PROTOCOLS or parts[3] != "tcp":
        raise NodeConfigError(f"bad peer address {excerpt.quoted(text)}: expected /dns4/HOST/tcp/PORT[/p2p/PEERID]")
    if len(parts) == 7 and parts[5] != "p2p":
        raise NodeConfigError(f"bad peer address {excerpt.quoted(text)}: only /p2p/PEERID may follow the port")
    try:
        port = int(parts[4])
    except ValueError as exc:
        raise NodeConfigError(f"bad peer address {excerpt.quoted(text)}: port is not a number") from exc
    if not 0 < port < 65536 or not parts[2]:
        raise NodeConfigError(f"bad peer address {excerpt.quoted(text)}: host or port out of range")
    if not _host_ok(parts[1], parts[2]):
        raise NodeConfigError(f"bad peer address {excerpt.quoted(text)}: {excerpt.quoted(parts[2])} is not "
                              f"{'an IPv4 address' if parts[1] == 'ip4' else 'an IPv6 address' if parts[1] == 'ip6' else 'a DNS name'}")
    return PeerAddr(parts[1], parts[2], port, parts[6] if len(parts) == 7 else None)


def _host_ok(protocol: str, host: str) -> bool:
    if protocol in ("ip4", "ip6"):
        try:
            (ipaddress.IPv4Address if protocol == "ip4" else ipaddress.IPv6Address)(host)
        except ValueError:
            return False
        return True
    return _DNS_NAME.match(host) is not None


def parse_list(text: str) -> list[PeerAddr]:
    """A peerlist from the environment: addresses separated by commas or white space."""
    return [parse(item) for item in text.replace(",", " ").split()]
