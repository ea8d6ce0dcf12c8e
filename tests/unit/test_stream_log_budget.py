"""A bulk of streams synced from peers writes a few lines, not one per stream (issue 28, fifteenth
session: two lines an event were ~45 % of a docker node's CPU taking in Recon events); a write
accepted here is said every time."""

import asyncio
from types import SimpleNamespace

import pytest

from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache, make_genesis
from support import node_lines

OWNER = ControllerKey.from_seed(bytes(range(32)))
SYNCED = 300


@pytest.fixture
def said(caplog):
    with node_lines.said(caplog) as lines:
        yield lines


def test_streams_synced_in_bulk_and_their_evictions_are_said_within_a_budget_and_counted(tmp_path, said):
    pins = PinStore(tmp_path / "state.sqlite")
    service = StreamService(OWNER, StreamCache(5), pins)
    service.anchors = SimpleNamespace(request=lambda stream, tip: False)  # nothing to publish here

    async def work():
        for n in range(SYNCED):
            await service.create_from_genesis(*make_genesis(OWNER, {"n": n}), anchor=False)
        for n in range(3):
            await service.create({"mine": n})

    try:
        asyncio.run(work())
    finally:
        pins.close()
    created, evicted = said("stream_created"), said("stream_evicted")
    synced = [record for record in created if record.fields["anchor"] is False]
    assert len(synced) <= 20 and len(evicted) <= 20, (len(synced), len(evicted))
    assert len([record for record in created if record.fields["anchor"] is True]) == 3, "a write accepted here is said each time"
    assert sum(record.fields.get("suppressed", 0) for record in evicted) + len(evicted) <= SYNCED + 3
