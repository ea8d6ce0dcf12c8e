"""Starting a compose project's containers all at once, once compose has created them.

`./fake up -d` lets Compose create the network, the volumes and the containers (`up --no-start`:
its labels, config hashes and names, so `ps`, `logs`, `exec`, `down` and `docker compose` itself
know them as their own), then starts them here, in parallel. Compose starts containers one at a
time: a lock around every ContainerStart in the whole process (pkg/compose/convergence.go,
`startMx`), because the engine hands out random published ports non-atomically and two
concurrent starts could get the same one. Each start is an engine round trip of runc, the network
namespace and the fuse-overlayfs mount, so N nodes waited for N starts back to back: on two
cores that was most of `up`, where bare containers started from threads overlap theirs.

The lock's reason does not arise here: in fakenet's compose files only `node` publishes ports,
so no two of a project's starts compete for a port (another process's starts never shared
compose's lock anyway).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import docker
import docker.errors

from fakenet.errors import ContainerError

PROJECT = "com.docker.compose.project"
ONEOFF = "com.docker.compose.oneoff"
SERVICE = "com.docker.compose.service"
THREADS = 16  # as the bench's bare containers and the harness start theirs


def not_running(client: docker.DockerClient, project: str) -> list:
    """The project's service containers (not `compose run` ones) that are not running, from one list call
    (sparse: no inspect per container)."""
    found = client.containers.list(all=True, sparse=True,
                                   filters={"label": [f"{PROJECT}={project}", f"{ONEOFF}=False"]})
    return [container for container in found if container.status != "running"]


def start_all(client: docker.DockerClient, project: str) -> list[str]:
    """Start every service container of `project` that is not running, all at once; their services' names."""
    waiting = not_running(client, project)
    if not waiting:
        return []

    def start(container) -> str:
        service = container.attrs.get("Labels", {}).get(SERVICE, container.id[:12])
        try:
            client.api.start(container.id)
        except docker.errors.APIError as exc:
            raise ContainerError(f"the engine did not start {service} ({container.id[:12]}): "
                                 f"{exc.explanation or exc}") from exc
        return service

    with ThreadPoolExecutor(min(THREADS, len(waiting))) as pool:
        return list(pool.map(start, waiting))
