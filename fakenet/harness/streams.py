"""`net.streams` (kinds with the streams capability): create, load, update, pin and unpin
streams through a node, each recorded in the model as the cache use or pin it is."""

from __future__ import annotations

from fakenet.harness.fleet import Fleet
from fakenet.kinds.base import StreamsClient


class Streams:
    def __init__(self, fleet: Fleet):
        self._fleet = fleet

    @property
    def ids(self) -> list[str]:
        """Every stream the harness created, in order."""
        return list(self._fleet.stream_ids)

    def client(self, name: str) -> StreamsClient:
        self._fleet.requires("streams")
        return self._fleet.runtime(name).client

    def create(self, name: str, content=None, pin: bool = False) -> str:
        """A stream on a node (seeded faker content unless given), pinned there with pin=True."""
        return self._fleet.create_stream(name, content, pin)

    def load(self, name: str, stream_id: str) -> dict:
        state = self.client(name).load_stream(stream_id, **self._fleet.load_bound())
        self._fleet.model.used(name, stream_id)
        self._fleet.model.check_bytes()
        return state

    def update(self, name: str, stream_id: str, content) -> dict:
        state = self.client(name).update_stream(stream_id, content, **self._fleet.load_bound())
        self._fleet.updated_stream(name, stream_id, content)
        return state

    def pin(self, name: str, stream_id: str) -> None:
        self.client(name).pin_stream(stream_id, **self._fleet.load_bound())
        self._fleet.model.pinned(name, stream_id)
        self._fleet.model.check_bytes()

    def unpin(self, name: str, stream_id: str) -> None:
        self.client(name).unpin_stream(stream_id)
        self._fleet.model.unpinned(name, stream_id)
        self._fleet.model.check_bytes()

    def try_load(self, name: str, stream_id: str) -> bool:
        """Observed availability: True if the load succeeds (a use of the cache), False if unavailable."""
        return self._fleet.try_load(name, stream_id)
