"""The slice of a docker.DockerClient that `./fake up -d` uses once compose runs, over engine_socket.

After compose has created the project, `up` starts its containers as their creates stream in
(compose_start), lists and inspects them, and asks their nodes at their addresses (netstatus). Through
the SDK that was its import and client (~75 ms of CPU, requests and urllib3 most of it) on two cores
the engine needs for those very starts (issue 28). `answering(sdk)` gives a client with the SDK's names
for those calls (`api.start`, `api.unpause`, `api.pause`, `events`, `containers.list`) that goes over the engine's unix socket,
where the SDK would use one, and is the SDK itself otherwise (ssh://, tcp://, TLS). A call the socket
does not answer (engine_socket.Unanswered) is made through `sdk()`; what only the SDK does (a
container's exec and logs: the wait's fallbacks and its error message) is too.
"""

from __future__ import annotations

import json
from typing import Callable

from fakenet import engine_socket

__all__ = ["SocketClient", "SocketContainer", "answering"]


class SocketClient:
    def __init__(self, engine: engine_socket.EngineSocket, sdk: Callable[[], object]):
        self.engine, self.sdk = engine, sdk
        self.api, self.containers = _Api(self), _Containers(self)

    def events(self, since: str | None = None, decode: bool = True, filters: dict | None = None):
        """The engine's events (decoded) from `since` on, matching `filters`: iterable, close()-able."""
        query = {key: value for key, value in (("since", since), ("filters", _filters(filters))) if value}
        try:
            return self.engine.stream("/events", **query)
        except engine_socket.Unanswered:
            return self.sdk().events(since=since, decode=decode, filters=filters)


class _Api:
    base_url = "http+docker://localhost"  # what the SDK's client says of a unix socket

    def __init__(self, client: SocketClient):
        self._client = client

    def start(self, container_id: str) -> None:
        """As the SDK's: engine_socket.Refused where the engine refuses (404: no such container)."""
        try:
            self._client.engine.post(f"/containers/{container_id}/start")
        except engine_socket.Unanswered:
            self._client.sdk().api.start(container_id)


    def unpause(self, container_id: str) -> None:
        try:
            self._client.engine.post(f"/containers/{container_id}/unpause")
        except engine_socket.Unanswered:
            self._client.sdk().api.unpause(container_id)

    def pause(self, container_id: str) -> None:
        """As the SDK's: engine_socket.Refused where the engine refuses (runc's `unable to freeze`: engine_pause)."""
        try:
            self._client.engine.post(f"/containers/{container_id}/pause")
        except engine_socket.Unanswered:
            self._client.sdk().api.pause(container_id)


class _Containers:
    def __init__(self, client: SocketClient):
        self._client = client

    def list(self, all: bool = False, sparse: bool = False, filters: dict | None = None,  # noqa: A002 - the SDK's
             ignore_removed: bool = False) -> list:
        """As the SDK lists: with `sparse`, what the list call says; else each container inspected (one
        removed meanwhile left out with `ignore_removed`; without it, the SDK is asked)."""
        engine = self._client.engine
        try:
            query = {"all": int(all), **({"filters": _filters(filters)} if filters else {})}
            found = engine.get("/containers/json", **query)
            if sparse:
                return [SocketContainer(attrs, self._client) for attrs in found or []]
            inspected = [engine.get(f"/containers/{attrs['Id']}/json") for attrs in found or []]
            if None in inspected and not ignore_removed:
                raise engine_socket.Unanswered("a listed container was removed before it was inspected")
        except engine_socket.Unanswered:
            return self._client.sdk().containers.list(all=all, sparse=sparse, filters=filters,
                                                      ignore_removed=ignore_removed)
        return [SocketContainer(attrs, self._client) for attrs in inspected if attrs is not None]


class SocketContainer:
    """A container as the SDK's Container reads it (`attrs`: the list's entry or the inspect), for the
    names `up` uses; its exec and logs through the SDK."""

    def __init__(self, attrs: dict, client: SocketClient):
        self.attrs, self._client = attrs, client

    def __repr__(self) -> str:
        return f"<SocketContainer {self.id[:12]}>"

    @property
    def id(self) -> str:
        return self.attrs["Id"]

    @property
    def name(self) -> str | None:
        name = self.attrs.get("Name")
        return name.lstrip("/") if name is not None else None

    @property
    def labels(self) -> dict:
        return (self.attrs.get("Config") or {}).get("Labels") or {}

    @property
    def status(self) -> str:
        state = self.attrs["State"]
        return state["Status"] if isinstance(state, dict) else state

    def reload(self) -> None:
        try:
            attrs = self._client.engine.get(f"/containers/{self.id}/json")
        except engine_socket.Unanswered:
            attrs = None
        self.attrs = attrs if attrs is not None else self._sdk().attrs  # removed: the SDK's NotFound, as its reload

    def exec_run(self, *args, **kwargs):
        return self._sdk().exec_run(*args, **kwargs)

    def logs(self, *args, **kwargs):
        return self._sdk().logs(*args, **kwargs)

    def _sdk(self):
        return self._client.sdk().containers.get(self.id)


def _filters(filters: dict | None) -> str:
    """As the SDK sends them (docker.utils.convert_filters): a value or a list of values per key, as JSON."""
    if not filters:
        return ""
    converted = {}
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        converted[key] = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]
    return json.dumps(converted)


def answering(sdk: Callable[[], object]):
    """A client for `up`'s calls after compose: over the engine's unix socket where the SDK would use one
    (DOCKER_HOST or the Docker context unix://, or neither set), else `sdk()` (a docker.DockerClient, made on
    first need)."""
    path = engine_socket.local_path()
    return SocketClient(engine_socket.EngineSocket(path), sdk) if path else sdk()
