"""Fixed addresses for a compose project's nodes, as the harness's docker networks have them.

`./fake up` puts the project's `p2p` network on a subnet clear of every network the engine knows
(the cli picks it with fakenet/harness/backends/subnets.py) and gives each node a fixed address there; peers
dial addresses, and names stay as aliases for people who exec into a node. Docker's embedded DNS
loses a bridge network's names when the engine joins or leaves a swarm while the containers start
(subnets.py tells the story): a project whose nodes dialled names then sat at 0 peers for minutes.

This module only computes (no engine, no harness); fakenet.compose writes the result into the
project's override file.
"""

from __future__ import annotations

import ipaddress

SWARM_PORT = 4011  # the fakenet node's swarm port (fakenet.kinds.fakenet_settings)
POOL = ipaddress.ip_network("10.233.0.0/16")  # compose projects; the harness's bridges use 10.232/16
PREFIX = 24  # room for `up --nodes N` to grow a running project to 253 nodes on the same subnet
NETWORK = "p2p"  # the network's name in compose/*.yml


def project_network(project: str) -> str:
    """The engine's name for a project's p2p network (compose's `<project>_<network>`)."""
    return f"{project}_{NETWORK}"


def addresses(subnet: ipaddress.IPv4Network, names: list[str]) -> dict[str, str]:
    """One address per node, after the gateway Docker takes (the subnet's first host)."""
    hosts = list(subnet.hosts())[1:]
    if len(names) > len(hosts):
        raise ValueError(f"{len(names)} nodes do not fit in {subnet}")
    return {name: str(ip) for name, ip in zip(names, hosts)}


def fakenet_environment(ips: dict[str, str], name: str) -> dict[str, str]:
    """Every node dials every address (a node skips its own, which it announces)."""
    peers = " ".join(f"/ip4/{ip}/tcp/{SWARM_PORT}" for ip in ips.values())
    return {"FAKENET_PEERS": peers, "FAKENET_ANNOUNCE": f"/ip4/{ips[name]}/tcp/{SWARM_PORT}"}


def litecoin_environment(ips: dict[str, str], name: str) -> dict[str, str]:
    """Each link dialled by its earlier end only: one connection per link (issue 27, item 8)."""
    later = list(ips)[list(ips).index(name) + 1:]
    return {"LITECOIN_PEERS": " ".join(ips[peer] for peer in later)}


ENVIRONMENTS = {"fakenet": fakenet_environment, "litecoin": litecoin_environment}


def document(kind: str, subnet: ipaddress.IPv4Network, names: list[str]) -> dict:
    """The override's addressing part: the network's subnet, each node's address, alias and peers."""
    ips = addresses(subnet, names)
    environment = ENVIRONMENTS[kind]
    services = {name: {"networks": {NETWORK: {"ipv4_address": ips[name], "aliases": [name]}},
                       "environment": environment(ips, name)} for name in names}
    return {"services": services, "networks": {NETWORK: {"ipam": {"config": [{"subnet": str(subnet)}]}}}}
