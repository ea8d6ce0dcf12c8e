"""Work of one frame of each stream type at its limits on the receiving node: process_time (all
threads, so the pin-store reads off the event loop count) and wall time, best of 3, beside what
stream_frames.cost charges. The numbers of 2026-12-06 are in tests/unit/test_frame_costs.py.

    .venv/bin/python benchmarks/frame_work.py   (from the repo root; ~4 s, most of it building the long stream)

A real StreamService over a SQLite pin store holding a pinned 1,101-commit stream, a StreamNetwork
over the in-memory swarm of tests/unit/test_stream_network.py, with a link on to a node that
drops what it gets (so passing a search on is counted, the next node's work is not)."""
import asyncio
import dataclasses
import base64
import os
import sys
import tempfile
import time
sys.path.insert(0, "tests/unit")  # the in-memory swarm and the long stream of its tests
from pathlib import Path
from test_stream_network import Swarm, join, Service, a_long_stream
from fakenet.node import stream_frames, framing
from fakenet.node.stream_network import StreamNetwork
from fakenet.node.stream_service import StreamService
from fakenet.node.streams import PinStore, StreamCache, ControllerKey, StreamID, codec, make_update

def fit(blocks):
    """The newest blocks that fit an su under its byte limit."""
    out, size = {}, 0
    for k, v in reversed(list(blocks.items())):
        if size + len(k) + len(v) + 6 > 1_040_000 or len(out) == 1024: break
        out[k] = v; size += len(k) + len(v) + 6
    return out

def raw_cid():
    return "b" + base64.b32encode(b"\x01\x55\x12\x20" + os.urandom(32)).decode().lower().rstrip("=")

async def main(tmp):
    a, b, c = Swarm("a"), Swarm("b"), Swarm("c")
    pins = PinStore(Path(tmp) / "b.sqlite")
    svc = StreamService(ControllerKey.generate(), StreamCache(10), pins)
    held = a_long_stream()  # 1,101 commits
    key = ControllerKey.from_seed(bytes(range(32)))  # a_long_stream's controller
    pins.pin(held.state, held.blocks)
    net = StreamNetwork(b, svc); svc.network = net
    class Anchors:
        async def request_from(self, peer, stream_id, tip):
            await svc.find_state(stream_id); codec.cid_text(tip); return False
        def request(self, stream_id, tip):  # an accepted update asks for an anchor: noted, not sent
            return False
        def proven(self, stream_id, tip, proof):
            return False
    svc.anchors = Anchors()
    StreamNetwork(a, Service()); StreamNetwork(c, Service())
    c.handlers = {t: (lambda conn, m: asyncio.sleep(0)) for t in b.handlers}
    a.handlers = dict(c.handlers)
    join(a, b); join(b, c)
    conn = b.connections["12D3KooWa"]
    sid = held.state.stream_id.encode()
    tip = str(held.state.tip)
    cids = [str(e.cid) for e in held.state.log]
    blocks_hex = {str(k): v.hex() for k, v in list(held.blocks.items())}
    def on_top(q, content, signer=key, at=None):
        """An su of one update on the tip this node holds now (or on the commit `at` of its log:
        a fork one commit long, which the longer held log beats); `signer` other than the
        controller's key makes it fail its check."""
        now = svc.held(held.state.stream_id).state
        base = now if at is None else dataclasses.replace(now, log=now.log[:now.index()[at.cid] + 1])
        cid, data = make_update(signer, base, content)
        return {"t": "su", "gid": q, "stream": sid, "tip": str(cid), "blocks": {str(cid): data.hex()}}
    def frames():
        q = os.urandom(8).hex()
        return {
          "bq (256 unknown CIDs)": {"t": "bq", "qid": q, "cids": [raw_cid() for _ in range(256)]},
          "bq (256 held CIDs)": {"t": "bq", "qid": q, "cids": cids[-256:]},
          "sq (held 1,101-commit stream)": {"t": "sq", "qid": q, "stream": sid},
          "sq end (page)": {"t": "sq", "qid": q, "stream": sid, "end": cids[500]},
          "sq unknown": {"t": "sq", "qid": q, "stream": StreamID(0, codec.cid_of(os.urandom(8))).encode()},
          "sr unsolicited, 1024 log": {"t": "sr", "qid": q, "stream": sid, "tip": tip, "log": [raw_cid() for _ in range(1024)], "length": 1024},
          "br unsolicited 1 MiB": {"t": "br", "qid": q, "blocks": {raw_cid(): "00" * 250_000 for _ in range(2)}},
          "su held stream, 1024 blocks": {"t": "su", "gid": q, "stream": sid, "tip": cids[-1], "blocks": fit(blocks_hex)},
          "su held, older tip": {"t": "su", "gid": q, "stream": sid, "tip": cids[-2], "blocks": {}},
          "su held, 1 new commit on the tip": on_top(q, {"n": os.urandom(4).hex()}),
          "su held, 1 bad commit on the tip": on_top(q, {"n": 1}, signer=ControllerKey.generate()),
          "su held, a losing fork (1 commit)": on_top(q, {"n": 2}, at=svc.held(held.state.stream_id).state.log[-2]),
          "su unknown stream, 1024 blocks": {"t": "su", "gid": q, "stream": StreamID(0, codec.cid_of(os.urandom(8))).encode(), "tip": raw_cid(), "blocks": {raw_cid(): "00"*400 for _ in range(1024)}},
          "qd": {"t": "qd", "qid": q, "nodes": 1, "lost": 0},
          "qa": {"t": "qa", "qid": q},
          "ar unknown stream": {"t": "ar", "stream": StreamID(0, codec.cid_of(os.urandom(8))).encode(), "tip": raw_cid()},
        }
    for name, _ in frames().items():
        samples = []
        for _ in range(3):
            m = frames()[name]
            data = framing.payload(m)
            t0 = time.process_time(); w0 = time.perf_counter()
            msg = framing.decode(data, stream_frames.MAX_BYTES)
            await b.handlers[m["t"]](conn, msg)
            for _ in range(20): await asyncio.sleep(0)
            samples.append((time.process_time() - t0, time.perf_counter() - w0))
        cpu = min(s[0] for s in samples); wall = min(s[1] for s in samples)
        print(f"{name:34s} bytes={len(data):8d} cost={stream_frames.cost(m):5d} cpu={cpu*1e3:8.2f}ms wall={wall*1e3:8.2f}ms")
        net._budgets.forget(conn.id)

with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(tmp))
