"""The `io.fakenet.*` label contract: what fakenet writes on everything it creates in Docker, so that
teardown, `fake prune`, `status` and the bench find it again (and nothing of anyone else's).

A module of names only, below the backends, compose, the image builders and the tools, so each of
them reads the same labels without importing the others.
"""

from __future__ import annotations

import os
import socket

PROJECT_LABEL = "io.fakenet.project"  # the network's project (compose) or harness run group
RUN_LABEL = "io.fakenet.run"  # one harness network, bench unit or compose run
COMPOSE_RUN = "compose"  # RUN_LABEL of a `./fake up` project (compose/*.yml: ${FAKENET_RUN:-compose})
OWNER_LABEL = "io.fakenet.owner"  # "<hostname>:<pid>:<machine>:<start>" of the harness process that made it
KIND_LABEL = "io.fakenet.kind"  # the node kind a compose project runs
IMAGE_LABEL = "io.fakenet.image"  # node, litecoin, base: images fakenet builds
SOURCE_HASH_LABEL = "io.fakenet.source-hash"  # the content hash an image's tag is made of
BASE_IMAGE_LABEL = "io.fakenet.base-image"  # the base a node image was built on
PACKAGES_LABEL = "io.fakenet.base-packages"  # the Debian packages a bootstrapped base holds
SWARM_LABEL = "io.fakenet.swarm"  # on a swarm fakenet created (`run`: made for runs)
JOINED_LABEL = "io.fakenet.joined"  # on a worker node fakenet joined to the swarm
# Compose's own labels on what it creates, by which fakenet finds a `./fake up` project's containers.
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
COMPOSE_ONEOFF_LABEL = "com.docker.compose.oneoff"  # "True" on a `compose run` container


def owner_value(pid: int | None = None) -> str:
    """Who made a resource (this process, or process `pid` of this machine): hostname and pid, plus
    what tells this machine and this process apart from others with the same names. Two machines
    may share a hostname (cloned VMs, CI runners) and one engine; a pid is reused once its process
    has gone."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_machine_id()}:{_start_ticks(pid)}"


def owner_alive(owner: str | None) -> bool:
    """False only when the owner is provably a dead process of this machine; anything else
    (another machine, a label this code cannot read) is not ours to judge, so it stays."""
    if not owner:
        return True  # compose networks have no owner process: liveness is their containers'
    parts = owner.split(":")
    if len(parts) == 2:  # "<hostname>:<pid>", as labels were written before the machine and start
        parts += ["", ""]
    if len(parts) != 4:
        return True
    host, pid_text, machine, start = parts
    if host != socket.gethostname() or (machine and _machine_id() and machine != _machine_id()):
        return True  # another machine's process, even if its hostname is this one's
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, OverflowError):
        return True
    ticks = _start_ticks(pid)
    return not (start and ticks and start != ticks)  # the pid lives on, in a process started since


def _machine_id() -> str:
    """The first 12 hex digits of systemd's machine id, or "" where the machine has none."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path) as file:
                return file.read().strip()[:12]
        except OSError:
            continue
    return ""


def _start_ticks(pid: int) -> str:
    """When a process started, in clock ticks since boot (/proc/<pid>/stat field 22), or "" where
    /proc cannot say: a reused pid has a later start than the process that wrote the label."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return ""
    fields = stat[stat.rindex(")") + 2:].split()  # the command name in parentheses may hold spaces
    return fields[19] if len(fields) > 19 else ""
