"""Manual bans as bitcoin-core keeps them: `setban SUBNET add|remove ( bantime absolute )`,
`listbanned`, `clearbanned`. A banned peer's connection is closed when it is made (right after
the handshake, through the swarm's connect listeners: Core refuses it at accept) and every live
connection from a newly banned subnet is closed at once. Bans live in memory: Core's banlist.dat
survives a restart, this one does not (FIDELITY.md says so)."""

from __future__ import annotations

import ipaddress

from fakenet.node import clock
from fakenet.node.rpc.dispatch import Registry
from fakenet.node.rpc.errors import CLIENT_NODE_ALREADY_ADDED, INVALID_PARAMETER, RpcFailure
from fakenet.node.rpc.params import expect, int64

CLIENT_INVALID_IP_OR_SUBNET = -30
DEFAULT_BANTIME = 24 * 3600  # Core's -bantime
MAX_BANS = 10_000  # an operator call, but still a bound on what one caller can make the node hold


class BanList:
    def __init__(self):
        self.bans: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[int, int]] = {}  # subnet -> (created, until)

    def refuse_banned(self, subnet) -> None:
        self._expire()
        if subnet in self.bans:
            raise RpcFailure(CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned")

    def add(self, subnet, until: int) -> None:
        self.refuse_banned(subnet)
        if len(self.bans) >= MAX_BANS:
            raise RpcFailure(INVALID_PARAMETER, f"at most {MAX_BANS} bans")
        self.bans[subnet] = (int(clock.wall()), until)

    def remove(self, subnet) -> None:
        if self.bans.pop(subnet, None) is None:
            raise RpcFailure(CLIENT_INVALID_IP_OR_SUBNET,
                             "Error: Unban failed. Requested address/subnet was not previously manually banned.")

    def banned(self, host: str) -> bool:
        self._expire()
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in subnet for subnet in self.bans)

    def listed(self) -> list[dict]:
        self._expire()
        return [{"address": str(subnet), "banned_until": until, "ban_created": created}
                for subnet, (created, until) in sorted(self.bans.items(), key=lambda item: str(item[0]))]

    def _expire(self) -> None:
        now = clock.wall()
        for subnet in [s for s, (_, until) in self.bans.items() if until <= now]:
            del self.bans[subnet]


def parse_subnet(text):
    try:
        return ipaddress.ip_network(expect(text, str), strict=False)
    except ValueError as exc:
        raise RpcFailure(CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet") from exc


def host_of(conn) -> str:
    return conn.remote_addr().rpartition(":")[0].strip("[]")


def register(registry: Registry, node) -> None:
    swarm, bans = node.swarm, BanList()

    async def refuse_banned(conn) -> None:
        if bans.banned(host_of(conn)):
            conn.close("banned")

    swarm.on_connect.append(refuse_banned)

    @registry.method
    async def setban(subnet, command, bantime=0, absolute=False):
        """Attempts to add or remove an IP/Subnet from the banned list."""
        network = parse_subnet(subnet)
        if command == "add":
            bans.refuse_banned(network)  # before the bantime is read, as core's setban
            # A null bantime is none given; `absolute` is UniValue's isTrue(): JSON true alone, anything
            # else (1, null, "yes") false without an error.
            seconds, since_epoch = 0 if bantime is None else int64(bantime), absolute is True
            if seconds <= 0:  # core's BanMan::Ban: no (or a negative) time is the default, from now
                seconds, since_epoch = DEFAULT_BANTIME, False
            bans.add(network, seconds if since_epoch else int(clock.wall()) + seconds)
            for conn in [c for c in swarm.connections.values() if bans.banned(host_of(c))]:
                conn.close("banned")
        elif command == "remove":
            bans.remove(network)
        else:
            raise RpcFailure(INVALID_PARAMETER, "help: setban \"subnet\" \"command\" ( bantime absolute )")
        return None

    @registry.method
    async def listbanned():
        """List all manually banned IPs/Subnets."""
        return bans.listed()

    @registry.method
    async def clearbanned():
        """Clear all banned IPs."""
        bans.bans.clear()
        return None
