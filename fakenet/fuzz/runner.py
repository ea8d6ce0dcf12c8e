"""`run(seconds, seed)`: hammer a freshly started local node's JSON-RPC and swarm ports, then report.

Three surfaces, taken in turn until the time is up:

    rpc          HTTP bodies for the JSON-RPC port (requests, batches, broken and hostile JSON)
    swarm-raw    unauthenticated connections sending broken frames and hellos
    swarm-peer   a peer with a fresh key that passes the handshake, then sends random messages

A failure is a crash (the process died or stopped answering), an answer that is not strict JSON,
a 5xx that is not a JSON-RPC error object, an "internal error" (a bug behind a bad input), or a
traceback in the node's log. Exit status 0 only when there was none.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import random
import tempfile
import time
from pathlib import Path

from fakenet.fuzz import inputs
from fakenet.fuzz.peer import RoguePeer
from fakenet.harness.backends.base import NodeSpec
from fakenet.harness.backends.local import LocalBackend
from fakenet.harness.backends.processes import random_subnet
from fakenet.kinds.fakenet_kind import FakenetKind
from fakenet.node import framing

RPC_PORT, SWARM_PORT = FakenetKind.ports["rpc"], FakenetKind.ports["swarm"]
EXCLUDED = {"stop"}  # the one input that ends the run by design
LOG_FAILURES = ("Traceback", "Error handling request", "Task exception was never retrieved", "rpc_method_failed")


class Tally:
    def __init__(self):
        self.inputs: collections.Counter[str] = collections.Counter()
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.failures: list[str] = []

    def note(self, surface: str, outcome: str, failure: str | None = None) -> None:
        self.inputs[surface] += 1
        self.outcomes[f"{surface}: {outcome}"] += 1
        if failure and len(self.failures) < 50:
            self.failures.append(f"{surface}: {failure}")
        elif failure:
            self.failures.append("")  # counted, not kept


def _strict_json(body: bytes):
    def refuse(token):
        raise ValueError(f"non-JSON token {token}")
    return json.loads(body, parse_constant=refuse)


class Target:
    """One fakenet node started as `Network(backend="local")` starts one (the local backend and the
    kind: loopback address of its own, credentials in its environment), without waiting for it."""

    def __init__(self, root: Path, seed: int):
        self._backend = LocalBackend(FakenetKind(), workdir=root, subnet=random_subnet(random.Random(seed)))
        self._node = self._backend.create([NodeSpec("fuzzed", ())])["fuzzed"]
        self.ip, self.log_path = self._node.ip, self._node.process.log_path
        self.auth = "Basic " + base64.b64encode(":".join(self._backend.credentials).encode()).decode()
        self._node.start()

    def alive(self) -> bool:
        return self._node.process.running()

    def log_failures(self) -> list[str]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if any(marker in line for marker in LOG_FAILURES)]

    def stop(self) -> None:
        self._backend.close()


async def _post(target: Target, body: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """A bare HTTP/1.1 POST: no client library between the fuzzer and what the node sends back."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(target.ip, RPC_PORT), timeout)
    try:
        head = (f"POST / HTTP/1.1\r\nHost: {target.ip}\r\nAuthorization: {target.auth}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        writer.write(head.encode() + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def _rpc(target: Target, rng: random.Random, methods: list[str], tally: Tally) -> None:
    body = inputs.rpc_body(rng, methods)
    status, reply = await _post(target, body)
    try:
        decoded = _strict_json(reply)
    except ValueError:
        tally.note("rpc", f"http {status} not JSON", f"{body[:80]!r} -> {status} {reply[:120]!r}")
        return
    replies = decoded if isinstance(decoded, list) else [decoded]
    errors = [r.get("error") for r in replies if isinstance(r, dict) and r.get("error")]
    codes = sorted({e.get("code") for e in errors if isinstance(e, dict)}, key=str)
    internal = [e for e in errors if isinstance(e, dict) and str(e.get("message", "")).startswith("internal error")]
    bad_5xx = status >= 500 and not (isinstance(decoded, dict) and isinstance(decoded.get("error"), dict))
    failure = (f"{body[:80]!r} -> {internal[0]['message'][:120]}" if internal else
               f"{body[:80]!r} -> {status} {reply[:120]!r}" if bad_5xx else None)
    tally.note("rpc", f"http {status} codes {codes[:3]}" if codes else f"http {status} ok", failure)


async def _swarm_raw(target: Target, rng: random.Random, tally: Tally) -> None:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(target.ip, SWARM_PORT), 5)
    try:
        writer.write(inputs.swarm_bytes(rng))
        await writer.drain()
        try:
            await asyncio.wait_for(reader.read(1 << 16), 2)  # the node's hello, and maybe its reject
            outcome = "answered then closed" if reader.at_eof() else "answered"
        except asyncio.TimeoutError:
            outcome = "held open"
    except (ConnectionError, OSError):
        outcome = "reset"
    finally:
        writer.close()
    tally.note("swarm-raw", outcome)


async def _swarm_peer(target: Target, rng: random.Random, tally: Tally) -> None:
    try:
        peer = await RoguePeer.connect(target.ip, SWARM_PORT)
    except (ConnectionError, OSError, asyncio.TimeoutError, framing.FrameError) as exc:
        tally.note("swarm-peer", f"handshake failed: {type(exc).__name__}")
        return
    sent = 0
    try:
        for _ in range(rng.randint(1, 8)):
            await peer.send(inputs.swarm_message(rng))
            sent += 1
        tally.inputs["swarm-peer"] += sent - 1
        await asyncio.wait_for(peer.reader.read(1 << 16), 0.2)
        outcome = "closed by node" if peer.reader.at_eof() else "kept"
    except asyncio.TimeoutError:
        outcome = "kept"
    except (ConnectionError, OSError, framing.FrameError):
        outcome = "closed by node"
    finally:
        peer.close()
    tally.note("swarm-peer", outcome)


async def _wait_ready(target: Target, deadline: float) -> list[str]:
    """The node's method list, once its RPC answers."""
    while time.monotonic() < deadline and target.alive():
        try:
            _, reply = await _post(target, b'{"method":"help","params":[],"id":1}', timeout=2)
            return [m for m in json.loads(reply)["result"].split() if m not in EXCLUDED]
        except (OSError, ValueError, KeyError, IndexError, asyncio.TimeoutError):
            await asyncio.sleep(0.1)  # polling a starting process
    raise RuntimeError(f"node did not answer RPC; log:\n{target.log_path.read_text(errors='replace')[-2000:]}")


async def _hammer(target: Target, seconds: float, seed: int, tally: Tally) -> bool:
    """Run the surfaces in turn; False when the node crashed or stopped answering."""
    rng = random.Random(seed)
    methods = await _wait_ready(target, time.monotonic() + 30)
    end = time.monotonic() + seconds
    surfaces = [("rpc", lambda: _rpc(target, rng, methods, tally)), ("swarm-raw", lambda: _swarm_raw(target, rng, tally)),
                ("swarm-peer", lambda: _swarm_peer(target, rng, tally))]
    while time.monotonic() < end:
        for surface, attempt in surfaces:
            try:
                await attempt()
            except (ConnectionError, OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
                if not target.alive():
                    return False
                tally.note(surface, f"no answer: {type(exc).__name__}",
                           f"no answer: {exc!r}" if surface == "rpc" else None)
    return target.alive()


def run(seconds: float, seed: int, out=print) -> int:
    """Fuzz a fresh node for `seconds`; print inputs per surface, outcomes and failures; 0 when clean."""
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="fakenet-fuzz-") as root:
        target = Target(Path(root), seed)
        try:
            survived = asyncio.run(_hammer(target, seconds, seed, tally))
        finally:
            target.stop()
            logged = target.log_failures()
    crashes = 0 if survived else 1
    out(f"fuzz: seed {seed}, {seconds:g}s")
    for surface, count in sorted(tally.inputs.items()):
        out(f"  inputs {surface}: {count}")
    for outcome, count in sorted(tally.outcomes.items()):
        out(f"  {count:7d}  {outcome}")
    out(f"  crashes: {crashes}")
    out(f"  failures: {len(tally.failures)} (bad 5xx, non-JSON answers, internal errors)")
    out(f"  node log: {len(logged)} traceback or internal-error lines")
    for line in [f for f in tally.failures if f][:20] + logged[:10]:
        out(f"    {line[:300]}")
    return 1 if crashes or tally.failures or logged else 0
