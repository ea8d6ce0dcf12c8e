"""Recon intake in CPU time on two real node processes (BENCHMARKS.md, "Interest sync"): wall time
means little on a shared machine, the peer process's own CPU seconds do.

A writer holds N signed MID init events of one Model; a peer registers its interest and takes them
in by Recon. Printed: the peer's utime+stime from registering to a full feed (events per peer
CPU-second), the writer's, and the wall time. Not a pytest test: run it from the checkout,

    .venv/bin/python tests/perf/recon_cpu.py 300
    PROFILE_PEER=/tmp/peer.prof .venv/bin/python tests/perf/recon_cpu.py 300   # the peer under cProfile

N may exceed the stream cache (500): the event feed keeps every accepted event's bytes.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = ["tests", "tests/integration"]

from support import local_nodes as local  # noqa: E402
from support.ceramic_events import ALICE, create_on_7007, post_event  # noqa: E402
from support.ceramic_models import definition, mid_genesis, model_genesis  # noqa: E402
from test_recon import feed_cids, interest  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(node) -> float:
    fields = Path(f"/proc/{node.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def profiled(node, output: str) -> None:
    command = node.command
    node.command = lambda: [command()[0], "-m", "cProfile", "-o", output, *command()[1:]]


def measure(count: int) -> str:
    writer, peer = nodes = local.full_mesh(Path(tempfile.mkdtemp()), 2)
    if os.environ.get("PROFILE_PEER"):
        profiled(peer, os.environ["PROFILE_PEER"])
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_ready()
        model = create_on_7007(writer, 2, model_genesis(ALICE, definition()))["streamId"]
        interest(writer, model)
        posted = set()
        for n in range(count):
            commit = mid_genesis(ALICE, model, {"title": str(n)}, unique=n.to_bytes(12, "big"))
            post_event(writer, commit)
            posted.add(str(commit[0]))
        peer_before, writer_before, started = cpu_seconds(peer), cpu_seconds(writer), time.monotonic()
        interest(peer, model)
        while not posted <= feed_cids(peer):
            if time.monotonic() - started > 300:
                raise SystemExit(f"the peer's feed lacks {len(posted - feed_cids(peer))} events after 300 s")
            time.sleep(0.2)  # a poll of another process's feed, to a deadline
        peer_used, writer_used = cpu_seconds(peer) - peer_before, cpu_seconds(writer) - writer_before
        wall = time.monotonic() - started
        return (f"{count} events: peer {peer_used:.2f} CPU s -> {count / peer_used:.0f} events per peer CPU-second; "
                f"writer {writer_used:.2f} CPU s; wall {wall:.1f} s ({count / wall:.0f}/s on this machine)")
    finally:
        for node in nodes:
            node.stop()


if __name__ == "__main__":
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
