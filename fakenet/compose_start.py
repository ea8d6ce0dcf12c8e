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

A project with no containers yet has each one started the moment the engine reports it created
(`AsCreated`: the engine's event stream, subscribed before compose runs), not once compose has
created the last, inspected each and exited: the first starts overlap compose's remaining work.
Only then: where containers already exist, compose may be replacing one (it creates the new one
beside the old, which still holds the fixed address, then removes the old and renames the new),
and that one must not start before compose is done with it.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

from fakenet import engine_socket
from fakenet.errors import ContainerError
from fakenet.labels import COMPOSE_ONEOFF_LABEL, COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL

# `client` below: a docker.DockerClient, or socket_client's SocketClient (the same calls over the engine's
# unix socket, without the SDK's import: `up` on a local engine, issue 28).
if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import docker

PROJECT, ONEOFF, SERVICE = COMPOSE_PROJECT_LABEL, COMPOSE_ONEOFF_LABEL, COMPOSE_SERVICE_LABEL
THREADS = 16  # as the bench's bare containers and the harness start theirs


def not_running(client: docker.DockerClient, project: str) -> list:
    """The project's service containers (not `compose run` ones) that are not running, from one list call
    (sparse: no inspect per container)."""
    found = client.containers.list(all=True, sparse=True,
                                   filters={"label": [f"{PROJECT}={project}", f"{ONEOFF}=False"]})
    return [container for container in found if container.status != "running"]


def unpause(client: docker.DockerClient, containers: list[tuple[str, str]]) -> None:
    """Unpause `containers` ((id, name): engine_reads' paused()), each said as compose says what it does to
    one. Compose's `up` tried to start a paused node and failed with the engine's `cannot start a paused
    container, try unpause instead`."""
    for container_id, name in containers:
        client.api.unpause(container_id)
        print(f" Container {name} Unpaused", file=sys.stderr)


def _start(client: docker.DockerClient, container_id: str, service: str, missing_ok: bool = False) -> str | None:
    try:
        client.api.start(container_id)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise
        gone, explanation = refusal
        if gone and missing_ok:
            return None
        if gone:
            raise ContainerError(f"the engine did not start {service} ({container_id[:12]}): it is gone") from None
        raise ContainerError(f"the engine did not start {service} ({container_id[:12]}): {explanation}",
                             node=service, output=explanation) from exc  # output: port_taken reads it
    return service


def _refusal(exc: Exception) -> tuple[bool, str] | None:
    """(gone, the engine's words) where `exc` is the engine refusing, from either client; else None."""
    refused = engine_socket.refusal(exc)
    return None if refused is None else (refused[0] == 404, refused[1])


def _unsubscribed() -> tuple[type[BaseException], ...]:
    """What a subscription to the events raises where the engine did not give one, from either client."""
    errors = sys.modules.get("docker.errors")
    return (OSError, ContainerError, engine_socket.Unanswered) + ((errors.DockerException,) if errors else ())


def start_all(client: docker.DockerClient, project: str) -> list[str]:
    """Start every service container of `project` that is not running, all at once; their services' names."""
    from concurrent.futures import ThreadPoolExecutor

    waiting = not_running(client, project)
    if not waiting:
        return []
    with ThreadPoolExecutor(min(THREADS, len(waiting))) as pool:
        return list(pool.map(lambda c: _start(client, c.id, c.attrs.get("Labels", {}).get(SERVICE, c.id[:12])),
                             waiting))


class AsCreated:
    """While compose creates a project that has no containers yet, start each container as the engine
    reports it created; `finish()`, once compose has exited, starts whatever is left (start_all) and
    returns every service started. Where the project has containers already (or the engine is reached
    over ssh, whose event stream cannot be closed from another thread), only `finish()` starts.

    Made before compose runs, from `reads` (engine_reads: whether the project is new, and the moment
    from which its creates count); `watch(client)` then, once compose runs, with the client of the calls
    after it (socket_client's: the SDK's names over the unix socket, or the SDK's own): the engine
    replays the creates made in between."""

    def __init__(self, reads, project: str):
        self.client, self.project = None, project
        self._starts: list[Future] = []
        self._lock = threading.Lock()
        self._closed = False
        self._events = None
        self._watcher: threading.Thread | None = None
        # Made by watch(): concurrent.futures (with logging) is ~7 ms of imports that need not come before compose.
        self._pool: ThreadPoolExecutor | None = None
        # Events from now on, replayed by the engine if they come before the subscription does: compose
        # starts meanwhile instead of after one more round trip.
        self._since = None if reads.has_containers([f"{PROJECT}={project}"]) else f"{time.time():.6f}"

    def watch(self, client: docker.DockerClient) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.client = client
        if self._since is None or str(client.api.base_url).startswith("http+docker://ssh"):
            return
        self._pool = ThreadPoolExecutor(THREADS)
        self._watcher = threading.Thread(target=self._watch, name="compose-start", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        try:
            events = self.client.events(since=self._since, decode=True, filters={
                "type": "container", "event": "create", "label": [f"{PROJECT}={self.project}", f"{ONEOFF}=False"]})
        except _unsubscribed():
            return  # finish() starts them all, as without this
        with self._lock:
            if self._closed:
                events.close()
                return
            self._events = events
        for event in events:
            actor = event.get("Actor") or {}
            # Actor.ID: API 1.52 dropped the deprecated `id` (Docker 20.10 still sends both); none: finish() starts it
            container_id = actor.get("ID") or event.get("id")
            if not isinstance(container_id, str) or not container_id:
                continue
            attributes = actor.get("Attributes") or {}
            self._starts.append(self._pool.submit(_start, self.client, container_id,  # gone: removed meanwhile
                                                  attributes.get(SERVICE, container_id[:12]), missing_ok=True))

    def close(self) -> None:
        """Stop watching and wait for the starts under way (compose failed, or finish() is next)."""
        with self._lock:
            self._closed = True
            events, self._events = self._events, None
        if events is not None:
            events.close()
        if self._watcher is not None:
            self._watcher.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def finish(self) -> list[str]:
        self.close()
        started = [future.result() for future in self._starts]  # a refused start raises here, naming its service
        return [service for service in started if service] + start_all(self.client, self.project)
