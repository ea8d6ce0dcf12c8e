"""The read-only questions fakenet asks an engine before it changes anything, answered one of two ways.

`of(client)` answers through the docker SDK, for any engine (ssh://, tcp://, TLS); `answering(client)`
answers through engine_socket without importing the SDK where the engine is on a unix socket, and
through the SDK otherwise or where the socket gives no answer (`./fake up`: compose can run ~70 ms
of CPU sooner, issue 28). The modules that own each decision
(image.py: the image's tag; subnets.py: the subnet; code_mounts.py: the code binds; compose_start.py:
whether a project is new) read the engine through this one interface, so the decisions have one
owner whichever way the answers come. Only reads: what `up` does to the engine once compose runs
(starts, the event stream) is socket_client's, the same pattern for the SDK's own names.
"""

from __future__ import annotations

import json
import threading
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

from fakenet import engine_socket

__all__ = ["Image", "SdkReads", "SocketReads", "answering", "of", "together"]


class Image(NamedTuple):
    """An image's id and labels. A NamedTuple, not a frozen dataclass: a dataclass compiles its generated
    methods when its module loads, ~0.5 M instructions a field, on `./fake up`'s way to compose (issue 28)."""

    id: str
    labels: Mapping = MappingProxyType({})  # read-only: one default shared by every Image


class SdkReads:
    """The questions through a docker.DockerClient (whose errors propagate as they always did)."""

    def __init__(self, client):
        self.client = client

    @property
    def local_socket(self) -> bool:
        """A unix socket: the engine runs where this process does (or in the VM Docker Desktop hides, which
        code_mounts tells apart by the engine's own answers)."""
        return str(self.client.api.base_url).startswith("http+docker://localhost")

    def image(self, ref: str) -> Image | None:
        import docker.errors

        try:
            found = self.client.images.get(ref)
        except docker.errors.ImageNotFound:
            return None
        return Image(found.id, dict(found.labels or {}))

    def network(self, name: str) -> dict | None:
        import docker.errors

        try:
            return self.client.networks.get(name).attrs
        except docker.errors.NotFound:
            return None

    def networks(self) -> list[dict]:
        """Every network as the list call has it (IPAM config included; no inspect per network)."""
        return [network.attrs for network in self.client.networks.list()]

    def info(self) -> dict:
        return self.client.info()

    def has_containers(self, labels: list[str]) -> bool:
        """Any container, running or not, with all of `labels` (`key=value`)."""
        return bool(self.client.containers.list(all=True, sparse=True, filters={"label": labels}))

    def paused(self, labels: list[str]) -> list[tuple[str, str]]:
        """(id, name) of each paused container with all of `labels` (`key=value`)."""
        found = self.client.containers.list(sparse=True, filters={"label": labels, "status": "paused"})
        return [_id_and_name(container.attrs) for container in found]

    def volumes(self, labels: list[str]) -> list[str]:
        """The names of the volumes with all of `labels` (`key=value`)."""
        return [volume.name for volume in self.client.volumes.list(filters={"label": labels})]


class SocketReads:
    """The same questions over the engine's unix socket (the engine the SDK would reach); a question the
    socket does not answer (engine_socket.Unanswered: the engine down, an error status) is asked through
    the SDK (`client()`), whose answer or error is the one every engine gets."""

    local_socket = True

    def __init__(self, engine: engine_socket.EngineSocket, client: Callable[[], object]):
        self.engine, self._client = engine, client
        self._info: dict | None = None

    def _sdk(self) -> SdkReads:
        return of(self._client())

    def image(self, ref: str) -> Image | None:
        try:
            found = self.engine.get(f"/images/{ref}/json")
        except engine_socket.Unanswered:
            return self._sdk().image(ref)
        return None if found is None else Image(found["Id"], dict((found.get("Config") or {}).get("Labels") or {}))

    def network(self, name: str) -> dict | None:
        try:
            return self.engine.get(f"/networks/{name}")
        except engine_socket.Unanswered:
            return self._sdk().network(name)

    def networks(self) -> list[dict]:
        try:
            return self.engine.get("/networks") or []
        except engine_socket.Unanswered:
            return self._sdk().networks()

    def info(self) -> dict:
        """Asked once: what it says (driver, host name, OS) stays for the life of a command, and asking
        is ~10 ms of the engine's time, the slowest of these questions."""
        if self._info is None:
            try:
                self._info = self.engine.get("/info") or {}
            except engine_socket.Unanswered:
                self._info = self._sdk().info()
        return self._info

    def has_containers(self, labels: list[str]) -> bool:
        try:
            return bool(self.engine.get("/containers/json", all=1, limit=1, filters=json.dumps({"label": labels})))
        except engine_socket.Unanswered:
            return self._sdk().has_containers(labels)

    def paused(self, labels: list[str]) -> list[tuple[str, str]]:
        try:
            found = self.engine.get("/containers/json", filters=json.dumps({"label": labels, "status": ["paused"]}))
        except engine_socket.Unanswered:
            return self._sdk().paused(labels)
        return [_id_and_name(attrs) for attrs in found or []]

    def volumes(self, labels: list[str]) -> list[str]:
        try:
            found = self.engine.get("/volumes", filters=json.dumps({"label": labels})) or {}
        except engine_socket.Unanswered:
            return self._sdk().volumes(labels)
        return [volume["Name"] for volume in found.get("Volumes") or []]


def _id_and_name(attrs: dict) -> tuple[str, str]:
    """A listed container's id and name (the list call's `Names`, each with a leading slash)."""
    return attrs["Id"], (attrs.get("Names") or ["/" + attrs["Id"][:12]])[0].lstrip("/")


def of(client) -> SdkReads:
    return SdkReads(client)


def answering(client: Callable[[], object]) -> SdkReads | SocketReads:
    """Reads of the engine `client()` (a docker.DockerClient, made on first need) reaches: over its unix
    socket without the SDK where the SDK would use one (DOCKER_HOST or the Docker context unix://, or neither
    set), else through it."""
    path = engine_socket.local_path()
    return SocketReads(engine_socket.EngineSocket(path), client) if path else of(client())


def together(*questions: Callable[[], object]) -> list:
    """The answers of `questions`, asked at once, each on a thread of its own (the first on this one).
    Each is a connection and a wait for the engine, so they take about as long as the slowest, not
    the sum: `./fake up` asked ten one after another, ~50 ms before compose could start (issue 28).
    Once all have ended, the error of the first that failed (in the order given) is raised; a Ctrl-C
    at once, without waiting for the others (daemon threads: an engine that does not answer held it
    for their timeout, 60 s)."""
    answers: list = [None] * len(questions)
    errors: list[BaseException | None] = [None] * len(questions)

    def ask(index: int) -> None:
        try:
            answers[index] = questions[index]()
        except Exception as exc:  # handed to the caller's thread below
            errors[index] = exc
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: the first is asked on the caller's thread
            if index == 0:
                raise
            errors[index] = exc

    threads = [threading.Thread(target=ask, args=(index,), daemon=True) for index in range(1, len(questions))]
    for thread in threads:
        thread.start()
    if questions:
        ask(0)
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return answers
