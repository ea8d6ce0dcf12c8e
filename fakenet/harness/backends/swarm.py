"""Swarm membership for the overlay network only: fakenet never runs a swarm service.

Swarm gives the hosts membership and one attachable overlay network per run; fakenet stays the
scheduler (services would kill unhealthy tasks, re-create killed ones, need a registry, and
their VIPs time out on a kernel without IPVS). The manager is this machine's engine. fakenet
creates the swarm when there is none, labelled `io.fakenet.swarm` (`run`: made for runs, the
last run to finish leaves it; `hosts`: made by `fake hosts add`, left by `fake hosts rm`), and
joins workers it finds outside any swarm (their node labelled `io.fakenet.joined`). A swarm it
did not create is joined, used, and never left. Changes happen under the manager engine's file lock, so that
concurrent runs (pytest-xdist workers) neither create two swarms nor leave one in use.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import docker
import docker.errors

from fakenet.errors import ConfigError, ContainerError
from fakenet.harness.backends import subnets
from fakenet.harness.waits import wait_for
from fakenet.labels import JOINED_LABEL, PROJECT_LABEL, SWARM_LABEL
from fakenet.state import engine_lock_path

OVERLAY_POOL = ipaddress.ip_network("10.231.0.0/16")  # one subnet per run, clear of every network in use
JOIN_TIMEOUT = 60.0
ADVERTISE_ENV = "FAKENET_SWARM_ADVERTISE"  # the manager's address as other engines reach it


@contextmanager
def swarm_lock(manager: docker.DockerClient) -> Iterator[None]:
    """The manager engine's swarm lock, shared by every checkout on this machine (fakenet/state.py)."""
    lock = engine_lock_path("swarm", manager.info()["ID"])
    lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def state(client: docker.DockerClient) -> dict:
    return client.info()["Swarm"]


def creator(manager: docker.DockerClient) -> str | None:
    """"run" or "hosts" where fakenet created the manager's swarm; None where it did not (or there is none)."""
    if state(manager)["LocalNodeState"] != "active":
        return None
    manager.swarm.reload()
    return (manager.swarm.attrs.get("Spec", {}).get("Labels") or {}).get(SWARM_LABEL)


def ensure(manager: docker.DockerClient, workers: list[docker.DockerClient], made_by: str = "run",
           advertise: str | None = None) -> None:
    """The manager in a swarm (created if there is none) and every worker engine in the same one."""
    local = state(manager)
    if local["LocalNodeState"] != "active":
        advertise = advertise or os.environ.get(ADVERTISE_ENV) or "127.0.0.1"
        manager.swarm.init(advertise_addr=advertise, listen_addr=f"{advertise}:2377", labels={SWARM_LABEL: made_by})
        local = state(manager)
    elif not local.get("ControlAvailable"):
        raise ConfigError("this machine's engine is a swarm worker: fakenet needs its local engine to be a manager")
    for worker in workers:
        _join(manager, worker, local)


def _join(manager: docker.DockerClient, worker: docker.DockerClient, local: dict) -> None:
    theirs = state(worker)
    if theirs.get("NodeID") == local["NodeID"]:
        return  # a second client of the manager's own engine
    if theirs["LocalNodeState"] == "active":
        if theirs.get("Cluster", {}).get("ID") not in (None, local["Cluster"]["ID"]) or \
                theirs.get("NodeID") not in {n.id for n in manager.nodes.list()}:
            raise ConfigError(f"engine {worker.info()['Name']} is in another swarm: leave it there first")
        return
    manager.swarm.reload()
    token = manager.swarm.attrs["JoinTokens"]["Worker"]
    worker.swarm.join(remote_addrs=[local["RemoteManagers"][0]["Addr"]], join_token=token)
    node_id = state(worker)["NodeID"]
    # A worker attaches containers to the overlay only once the manager counts it ready; before
    # that, attaching times out ("context deadline exceeded").
    node, _ = wait_for(lambda: manager.nodes.get(node_id), lambda n: n.attrs["Status"]["State"] == "ready",
                       timeout=JOIN_TIMEOUT, expected=f"swarm node {node_id} ready",
                       retry_on=(docker.errors.NotFound,))
    spec = dict(node.attrs["Spec"])
    spec["Labels"] = {**(spec.get("Labels") or {}), JOINED_LABEL: "1"}
    node.update(spec)


def release(manager: docker.DockerClient, workers: list[docker.DockerClient], made_by: str = "run") -> bool:
    """Leave the swarm where fakenet made it for `made_by` and no fakenet overlay is left in it: the
    workers it joined first, then the manager. Returns whether the swarm is gone."""
    if creator(manager) != made_by or _overlays(manager):
        return False
    manager_id = state(manager)["NodeID"]
    for worker in workers:
        if state(worker).get("NodeID") not in (None, "", manager_id) and state(worker)["LocalNodeState"] == "active":
            worker.swarm.leave(force=True)
            _remove_gateway_bridge(worker)
    manager.swarm.leave(force=True)
    _remove_gateway_bridge(manager)
    return True


def _remove_gateway_bridge(client: docker.DockerClient) -> None:
    """The engine made docker_gwbridge for the swarm's containers; with the swarm gone it is ours to remove."""
    for network in client.networks.list(names=["docker_gwbridge"]):
        try:
            network.remove()
        except docker.errors.APIError:  # something else still uses it: leave it
            pass


def _overlays(manager: docker.DockerClient) -> list:
    return manager.networks.list(filters={"label": PROJECT_LABEL, "driver": "overlay"})


def create_overlay(manager: docker.DockerClient, name: str, labels: dict, run: str, count: int,
                   encrypted: bool = False):
    """An attachable overlay on a free subnet of OVERLAY_POOL, big enough for `count` nodes; with
    `encrypted`, its traffic between engines goes in IPsec ESP (Docker's `encrypted` option).
    Attachable, as standalone containers need: any container of an engine in the swarm could join it,
    which only that engine's admins can start anyway."""
    options = {"options": {"encrypted": "true"}} if encrypted else {}
    return subnets.create_network(manager, name, OVERLAY_POOL, count, run, driver="overlay", attachable=True,
                                  labels=labels, scope="swarm", **options)


def advertise_address(remote_hosts: list[str]) -> str:
    """The manager's address as the other hosts reach it: 127.0.0.1 when all of them are this machine."""
    if not remote_hosts:
        return "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((remote_hosts[0], 2377))  # no packet is sent: this only picks the route's source address
        return probe.getsockname()[0]


def leave_joined(manager: docker.DockerClient, worker: docker.DockerClient) -> bool:
    """`fake hosts rm`: a worker engine fakenet joined (its node labelled) leaves the swarm."""
    theirs = state(worker)
    if theirs["LocalNodeState"] != "active" or theirs.get("NodeID") == state(manager).get("NodeID"):
        return False
    try:
        node = manager.nodes.get(theirs["NodeID"])
    except docker.errors.APIError:
        return False
    if (node.attrs["Spec"].get("Labels") or {}).get(JOINED_LABEL) != "1":
        return False
    worker.swarm.leave(force=True)
    _remove_gateway_bridge(worker)
    return True
