"""Issue 14: no acknowledged write to a pinned stream is lost to kill -9 in the middle of a write storm."""

import threading

import pytest

from fakenet.errors import RpcError
from support import local_nodes as local
from fakenet.harness.waits import wait_for

KILLS = 10
WRITERS = 4


class Storm:
    """WRITERS threads updating their own pinned stream as fast as the node acknowledges, until an
    error (the node was killed); `acked[stream]` is the last value the node acknowledged."""

    def __init__(self, node, streams: list[str], acked: dict[str, int]):
        self.node, self.acked, self.count = node, acked, 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._write, args=(s,), daemon=True) for s in streams]

    def _write(self, stream: str) -> None:
        value = self.acked[stream]
        while True:
            value += 1
            try:
                self.node.rpc.updatestream(stream, {"n": value})
            except RpcError:
                return  # killed under us: this write is not acknowledged, so it may or may not be there
            with self._lock:
                self.acked[stream], self.count = value, self.count + 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        for thread in self.threads:
            thread.join(30)


@pytest.mark.slow
def test_kill9_during_a_write_storm_loses_no_acknowledged_write(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    streams = [node.rpc.createstream({"n": 0}, True)["streamId"] for _ in range(WRITERS)]
    acked = dict.fromkeys(streams, 0)
    total = 0
    for kill in range(KILLS):
        with Storm(node, streams, acked) as storm:
            wait_for(lambda: storm.count, lambda n: n >= 20, timeout=30, expected="20 acknowledged writes",
                     logs=node.logs)
            node.kill()
        total += storm.count
        node.start()
        node.wait_ready()
        held = {s: node.rpc.loadstream(s)["state"]["content"]["n"] for s in streams}
        lost = {s: (acked[s], held[s]) for s in streams if held[s] < acked[s]}
        assert lost == {}, f"kill {kill + 1}: acknowledged values lost (acked, held): {lost}"
        acked.update(held)  # an unacknowledged write that did land is the base of the next ones
    print(f"durability: {KILLS} kills, {total} acknowledged writes, 0 lost")
