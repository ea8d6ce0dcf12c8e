"""A large write's encoding, signing, decoding and replay leave the node's event loop (StreamService
._work): a 300,000-int create and update on a node process stalled a concurrent getblockcount 576 ms
before, 69 ms after (measured by hand; speed is the bench's, not a test's). Small writes stay on the
loop, and so does everything of a memory store (the sim), whose one loop must not take real time."""

import asyncio
import threading

import pytest

from fakenet.node import stream_service
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import ControllerKey, PinStore, StreamCache

OWNER = ControllerKey.from_seed(bytes(range(32)))


@pytest.mark.parametrize("store, large, off_loop", [("disk", True, True), ("disk", False, False),
                                                    ("memory", True, False)])
def test_only_large_work_of_a_disk_node_leaves_the_loop(tmp_path, store, large, off_loop):
    pins = PinStore(tmp_path / "state.sqlite", store=store)
    service = StreamService(OWNER, StreamCache(10), pins)
    loop_thread = threading.get_ident()  # asyncio.run's loop runs in this thread
    try:
        ran_in = asyncio.run(service._work(large, threading.get_ident))
    finally:
        pins.close()
    assert (ran_in != loop_thread) is off_loop


def test_a_create_of_many_values_builds_its_commit_off_the_loop(tmp_path, monkeypatch):
    pins = PinStore(tmp_path / "state.sqlite")
    service = StreamService(OWNER, StreamCache(10), pins)
    threads, make = [], stream_service.make_genesis
    monkeypatch.setattr(stream_service, "make_genesis",
                        lambda *a, **k: threads.append(threading.get_ident()) or make(*a, **k))
    monkeypatch.setattr(service, "create_from_genesis", lambda *a, **k: asyncio.sleep(0))
    try:
        asyncio.run(service.create({"a": [0] * stream_service.LARGE_VALUES}))
        asyncio.run(service.create({"a": [0] * 10}))
    finally:
        pins.close()
    assert threads[0] != threading.get_ident() and threads[1] == threading.get_ident()
