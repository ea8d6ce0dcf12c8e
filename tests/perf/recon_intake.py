"""Recon intake alone, in CPU time, on one in-process node: N signed MID init events arrive as rcv
frames and are taken in (CAR read, CID, signature, schema, feed and index). No network, no peer:
the cost of taking an event in, and with `prof` its cProfile, top lines by cumulative time.

    .venv/bin/python tests/perf/recon_intake.py 400
    .venv/bin/python tests/perf/recon_intake.py 400 prof
"""

import asyncio
import cProfile
import pstats
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, "tests")

from fakenet.node.ceramic_one import event_id, events, recon  # noqa: E402
from fakenet.node.ceramic_one.feed import SEP  # noqa: E402
from fakenet.node.daemon import Node  # noqa: E402
from fakenet.node.settings import Settings  # noqa: E402
from fakenet.node.streams import ControllerKey, apply_genesis  # noqa: E402
from support.ceramic_models import definition, mid_genesis, model_genesis  # noqa: E402

WRITER = ControllerKey.from_seed(bytes(range(32)))


class Peer:
    name, id = "writer", 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def frames(node: Node, model, prefix: bytes, count: int) -> list[dict]:
    values = []
    for n in range(count):
        cid, data = mid_genesis(WRITER, model.stream_id.encode(), {"title": f"t{n}"}, unique=n.to_bytes(12, "big"))
        key = event_id.build(node.event_feed.network_id, SEP, model.stream_id.to_bytes(), WRITER.did, cid, cid)
        values.append([key.hex(), events.to_car(cid, data).hex()])
    return [{"t": "rcv", "i": prefix.hex(), "v": values[i:i + recon.MAX_VALUES]}
            for i in range(0, count, recon.MAX_VALUES)]


async def main(count: int, profile: cProfile.Profile | None) -> None:
    node = Node(Settings(datadir=Path(tempfile.mkdtemp()), name="n", network="intake", bind="127.0.0.1",
                         announce="/ip4/127.0.0.1/tcp/0", swarm_port=0, cluster=False), serve_http=False)
    await node.start()
    taker = recon.Recon(node.swarm, node.event_feed, node.streams)
    genesis = model_genesis(WRITER, definition())
    model = apply_genesis(*genesis)
    node.event_feed.register(SEP, model.stream_id.encode())
    await node.streams.create_from_genesis(*genesis)
    (prefix,) = taker.prefixes()
    batches = frames(node, model, prefix, count)
    started = cpu_seconds()
    if profile:
        profile.enable()
    for frame in batches:
        await taker._on_values(Peer(), frame, prefix)
        while taker._waiting or taker._taking.locked():
            await asyncio.sleep(0)
    if profile:
        profile.disable()
    used = cpu_seconds() - started
    print(f"{count} events: {used:.2f} CPU s, {count / used:.0f} events per CPU-second; "
          f"feed holds {node.event_feed.highwater() - 1}")
    await node.swarm.close()


if __name__ == "__main__":
    profiler = cProfile.Profile() if sys.argv[2:] == ["prof"] else None
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 400, profiler))
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
