"""`fake export --stack FILE`: the network as a Docker stack file, for users who want it on their own swarm.

One service, N replicas, one task per node: `hostname: node-{{.Task.Slot}}` names each task and
the peer list dials those names; a top-level volume named with the slot template gives each task
its own data dir; `endpoint_mode: dnsrr` (no VIP: IPVS is often missing, and nodes dial each other,
not a load balancer); `restart_policy: none`, no healthcheck (swarm would kill an unhealthy node
and re-create a killed one: the faults a test injects); `cap_add: NET_ADMIN` so links can still be
cut with iptables inside a task. What such a stack lacks — fakenet's fault control and oracle —
is in README ("Your own swarm").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml

from fakenet.kinds.base import Launch, NodeKind
from fakenet.labels import PROJECT_LABEL

SERVICE = "node"
SLOT_NAME = "node-{{.Task.Slot}}"


def task_names(count: int) -> list[str]:
    return [f"node-{slot}" for slot in range(1, count + 1)]


def stack_document(kind: NodeKind, image: str, count: int, project: str = "fakenet-stack") -> dict:
    """The stack file as a dict; fresh RPC credentials and cluster secret in it (the file is 0600)."""
    launch = Launch(SLOT_NAME, tuple((name, name) for name in task_names(count)), ("fakenet", secrets.token_hex(12)),
                    "0.0.0.0", kind.datadir, {}, secrets.token_hex(32))
    service = {"image": image, "hostname": SLOT_NAME, "environment": kind.environment(launch),
               "cap_add": ["NET_ADMIN"], "networks": ["p2p"], "volumes": [f"data:{kind.datadir}"],
               "labels": {PROJECT_LABEL: project},
               "deploy": {"replicas": count, "endpoint_mode": "dnsrr", "restart_policy": {"condition": "none"},
                          "labels": {PROJECT_LABEL: project}}}
    command = kind.container_command(launch)
    if command is not None:
        service["command"] = command
    return {"version": "3.8", "services": {SERVICE: service},
            "networks": {"p2p": {"driver": "overlay", "attachable": True, "labels": {PROJECT_LABEL: project}}},
            # Only a top-level volume named with the template gives each slot its own volume.
            "volumes": {"data": {"name": "{{.Service.Name}}-data-{{.Task.Slot}}", "labels": {PROJECT_LABEL: project}}}}


def write(path: Path, kind: NodeKind, image: str, count: int, project: str = "fakenet-stack") -> None:
    text = ("# fakenet as a Docker stack (`fake export --stack`): docker stack deploy -c THIS_FILE NAME\n"
            "# Holds the nodes' RPC credentials: keep it private. The image must be on every swarm node.\n")
    text += yaml.safe_dump(stack_document(kind, image, count, project), sort_keys=False, width=120)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
