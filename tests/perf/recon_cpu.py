"""Recon intake in CPU time on real node processes (BENCHMARKS.md, "Interest sync"): wall time
means little on a shared machine, the peer processes' own CPU seconds do.

A writer holds N signed MID init events of one Model; PEERS other nodes (1 unless given; the
bench has 3) register their interest at once and take them in by Recon. Printed: each peer's
utime+stime from registering to a full feed (events per peer CPU-second), the writer's, and the
wall time. Not a pytest test: run it from the checkout,

    .venv/bin/python tests/perf/recon_cpu.py 300
    PEERS=3 .venv/bin/python tests/perf/recon_cpu.py 2000                        # the bench's shape
    PROFILE_PEER=/tmp/peer.prof .venv/bin/python tests/perf/recon_cpu.py 300   # the first peer under cProfile
    PROFILE_WRITER=/tmp/writer.prof …                                            # the writer under cProfile

N may exceed the stream cache (500): the event feed keeps every accepted event's bytes. The
events are posted from a few threads: posting is not what is measured, and one by one 2,000 take
most of a minute.
"""

import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path[:0] = ["tests", "tests/integration"]

from support import local_nodes as local  # noqa: E402
from support.ceramic_events import ALICE, create_on_7007, post_event  # noqa: E402
from support.ceramic_models import definition, mid_genesis, model_genesis  # noqa: E402
from test_recon import interest  # noqa: E402

from fakenet.harness.interests import feed_cids as feed_at  # noqa: E402

FEED_TIMEOUT = 120  # seconds for one feed read: a peer busy taking a batch in answers late on a loaded machine
TICK = os.sysconf("SC_CLK_TCK")
POSTERS = 4


def cpu_seconds(node) -> float:
    fields = Path(f"/proc/{node.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def feed_cids(node) -> set[str]:
    return feed_at(node.url("ceramic_one"), timeout=FEED_TIMEOUT)


def sent(node) -> int:
    """Events the node sent its peers by Recon, duplicates included (its /metrics)."""
    text = requests.get(f"{node.url('ceramic_one')}/metrics", timeout=FEED_TIMEOUT).text
    return sum(int(n) for n in re.findall(r"^ceramic_recon_value_sent_count_total\{[^}]*\} (\d+)$", text, re.M))


def profiled(node, output: str) -> None:
    """The node's interpreter runs its module under cProfile (written when the node exits on SIGTERM)."""
    process = node.runtime.process
    process.argv = [process.argv[0], "-m", "cProfile", "-o", output, *process.argv[1:]]


def measure(count: int, peers: int) -> str:
    writer, *takers = nodes = local.full_mesh(Path(tempfile.mkdtemp()), 1 + peers)
    if os.environ.get("PROFILE_PEER"):
        profiled(takers[0], os.environ["PROFILE_PEER"])
    if os.environ.get("PROFILE_WRITER"):
        profiled(writer, os.environ["PROFILE_WRITER"])
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_ready()
        model = create_on_7007(writer, 2, model_genesis(ALICE, definition()))["streamId"]
        interest(writer, model)
        commits = [mid_genesis(ALICE, model, {"title": str(n)}, unique=n.to_bytes(12, "big")) for n in range(count)]
        with ThreadPoolExecutor(POSTERS) as pool:
            list(pool.map(lambda commit: post_event(writer, commit), commits))
        posted = {str(cid) for cid, _ in commits}
        before, writer_before, started = [cpu_seconds(p) for p in takers], cpu_seconds(writer), time.monotonic()
        for peer in takers:
            interest(peer, model)
        for peer in takers:
            while not posted <= feed_cids(peer):
                if time.monotonic() - started > 300:
                    raise SystemExit(f"{peer.name}'s feed lacks {len(posted - feed_cids(peer))} events after 300 s")
                time.sleep(0.2)  # a poll of another process's feed, to a deadline
        used = [cpu_seconds(p) - b for p, b in zip(takers, before)]
        sends = sum(sent(node) for node in nodes)
        writer_used, wall = cpu_seconds(writer) - writer_before, time.monotonic() - started
        return (f"{count} events, {peers} peer(s): peer CPU s {', '.join(f'{u:.2f}' for u in used)} -> "
                f"{count / max(used):.0f} events per CPU-second (slowest peer); writer {writer_used:.2f} CPU s; "
                f"{sends} events sent by Recon for {count * peers} needed; wall {wall:.1f} s ({count / wall:.0f}/s per peer on this machine, load {os.getloadavg()[0]:.1f})")
    finally:
        for node in nodes:
            node.stop()


if __name__ == "__main__":
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 300, int(os.environ.get("PEERS", "1"))))
