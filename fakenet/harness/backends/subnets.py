"""Container networks on a subnet fakenet picks: the docker backend's bridges, where every node then
has a fixed address its peers dial, and the hosts backend's overlays (subnet only: Docker 20.10
times out attaching a standalone container to an attachable overlay at a given address).

On a bridge, peers dial addresses, not names. Docker 20.10's embedded DNS loses the names of a bridge network's
containers when the engine joins or leaves a swarm while they start (a hosts-backend run on the
same engine does both): the nodes then never meet, each logging "Name or service not known" for
minutes (CI's streams bench; reproduced by churning `swarm init`/`leave` beside a start, 4 of 4).
A fixed address also stays the same when a crashed container starts again. Names stay as
aliases, for people who exec into a node.
"""

from __future__ import annotations

import hashlib
import itertools
import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from fakenet import engine_reads
from fakenet.errors import ContainerError

if TYPE_CHECKING:  # `./fake up` picks its subnet before it imports the SDK (kept_or_free, engine_reads)
    import docker

BRIDGE_POOL = ipaddress.ip_network("10.232.0.0/16")  # the docker backend's networks
ROUTES = Path("/proc/net/route")
ATTEMPTS = 8  # concurrent runs that picked the same free subnet: the engine refuses all but one


def prefix_for(count: int) -> int:
    """The longest prefix (at most /24) with room for `count` nodes beside network, gateway and broadcast."""
    return min(24, 32 - (count + 2).bit_length())


def used(reads) -> list[ipaddress.IPv4Network]:  # reads: fakenet.engine_reads
    """Subnets of every network the engine knows, and, for an engine on this machine, of every route.

    Read from one listing, which carries every network's IPAM config (for swarm networks, the subnet
    they were created with, as all of fakenet's are). Not a greedy listing: that inspects each network
    listed, one call after another, and a network another run removed in between (an xdist worker's
    teardown, another checkout's test) answered 404 "network <id> not found", which failed this start
    (issue 27: a docker scenario beside a CPU hog, where those calls are slow and the window long; 58 of
    887 greedy listings beside a create/remove loop). A network gone meanwhile has freed its subnet anyway.
    """
    found = [ipaddress.ip_network(config["Subnet"], strict=False)
             for network in reads.networks()
             for config in ((network.get("IPAM") or {}).get("Config") or []) if config.get("Subnet")]
    return [net for net in found if net.version == 4] + _host_routes()


def _host_routes() -> list[ipaddress.IPv4Network]:
    try:
        lines = ROUTES.read_text().splitlines()[1:]
    except OSError:
        return []
    routes = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8 or fields[1] == "00000000":  # the default route overlaps everything: not a network
            continue
        address = ipaddress.IPv4Address(bytes.fromhex(fields[1])[::-1])
        mask = bin(int.from_bytes(bytes.fromhex(fields[7])[::-1], "big")).count("1")
        routes.append(ipaddress.ip_network(f"{address}/{mask}", strict=False))
    return routes


def free(pool: ipaddress.IPv4Network, prefix: int, taken: Iterable[ipaddress.IPv4Network],
         run: str) -> Iterator[ipaddress.IPv4Network]:
    """Subnets of `pool` that overlap nothing taken, starting where the run id points (so concurrent
    runs rarely pick the same one). One at a time: checking all of a /16's 256 against every network
    was ~8 ms of each `fake up`'s CPU, which takes the first."""
    taken = list(taken)
    candidates = list(pool.subnets(new_prefix=prefix))
    start = int(hashlib.sha256(run.encode()).hexdigest(), 16) % len(candidates)
    return (subnet for subnet in candidates[start:] + candidates[:start]
            if not any(subnet.overlaps(other) for other in taken))


def create_network(client: docker.DockerClient, name: str, pool: ipaddress.IPv4Network, count: int, run: str,
                   **options):
    """A network on a free subnet of `pool` big enough for `count` nodes."""
    import docker.errors
    import docker.types

    choices = list(itertools.islice(free(pool, prefix_for(count), used(engine_reads.of(client)), run), ATTEMPTS))
    if not choices:
        raise ContainerError(f"no free /{prefix_for(count)} left in {pool} for {count} nodes")
    for subnet in choices:
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
        try:
            return client.networks.create(name, ipam=ipam, **options)
        except docker.errors.APIError as exc:
            if "overlap" not in str(exc).lower():
                raise
    raise ContainerError(f"every free subnet of {pool} tried was taken meanwhile ({ATTEMPTS} tries)")


def addresses(network, names: list[str]) -> dict[str, str]:
    """One fixed address per node, after the gateway."""
    config = network.attrs["IPAM"]["Config"][0]
    subnet = ipaddress.ip_network(config["Subnet"])
    gateway = config.get("Gateway")
    first = subnet.network_address + 1  # Docker's default gateway, whatever the config says
    hosts = (str(ip) for ip in subnet.hosts() if ip != first and str(ip) != gateway)
    return {name: next(hosts) for name in names}


def kept_or_free(reads, name: str, pool: ipaddress.IPv4Network, prefix: int, run: str,
                 avoid: Iterable[ipaddress.IPv4Network] = ()) -> ipaddress.IPv4Network:
    """The subnet network `name` already has (a project brought up again keeps its addresses), else a
    free one of `pool`, none of `avoid` (tried and lost to a concurrent run), for whoever creates it
    (compose, for `./fake up`). `reads`: engine_reads."""
    try:
        return ipaddress.ip_network(reads.network(name)["IPAM"]["Config"][0]["Subnet"])
    except (IndexError, KeyError, TypeError):  # no such network (None), or one without a subnet
        pass
    choice = next(free(pool, prefix, [*used(reads), *avoid], run), None)
    if choice is None:
        raise ContainerError(f"no free /{prefix} left in {pool} for {name}")
    return choice
