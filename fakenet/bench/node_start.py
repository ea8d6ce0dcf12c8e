"""What one node costs to start, the unit every start-up figure multiplies: on two cores, N nodes
starting at once need about N × (CPU seconds to ready) / 2 however the containers are made.

- exec → RPC answering: one local node process, nothing else starting; and the CPU it used by then
  (the node logs it at that moment, `rpc_answering cpu_ms=`); then the CPU by `ready`, once it has
  built its stream layer and cluster and its swarm listens (they load after RPC answers, daemon.py).
- the same in a fresh container of the node image (node_ready.py), and the interpreter's floor
  there: the code is read as `up`'s nodes read it (on a fuse-overlayfs engine, the bench machine's,
  from the host's copy that code_mounts binds in; the rest of the root through the storage driver,
  which the local figure does not pay). Twice: the node's own CPU from its exec, as a child of the
  container's first process; and as that first process, whose count starts in runc's set-up
  before the exec (`docker run … sh -c times` reads 0.02–0.03 s before sh runs a line), a cost
  of the engine that the bare containers of the start-up ratio pay too.
- `import fakenet.node.daemon`: python -X importtime's cumulative figure; the note names the
  heaviest top-level imports.

The node's bytecode is there, as an installed node has it (pip compiles at install, the image
holds every .pyc) and as the local backend makes sure of (fakenet/bytecode.py).
"""

from __future__ import annotations

import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

from fakenet import bytecode, code_mounts
from fakenet.container_once import run_once
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import guarded
from fakenet import kinds
from fakenet.harness.backends import NodeSpec
from fakenet.harness.backends.local import LocalBackend
from fakenet.harness.waits import wait_for

MODULE = "fakenet.node.daemon"
GOAL_CPU = 0.12  # issue 28: CPU seconds from exec to answering RPC


def logged_cpu(lines: list[str], event: str = "rpc_answering") -> float | None:
    """The CPU seconds a node logs with `event` (`rpc_answering`, `ready`: `… cpu_ms=`)."""
    for line in lines:
        found = re.search(rf"event={event} .*\bcpu_ms=(\d+)", line)
        if found:
            return int(found.group(1)) / 1000
    return None


def ready(root: Path) -> tuple[float, float, float]:
    """(seconds from exec until the node answers RPC, CPU seconds it used by then, by `ready`). The CPU is what
    the node logs at that moment: /proc read after the first answer also counts the stream layer
    and the HTTP apps it loads right after (a poll's worth of them, more on a loaded machine)."""
    # A fresh process, as a container's node is: a fork of the local backend's fork server starts
    # with its imports done (harness/backends/forkserver.py), which is not what this figure measures.
    backend = LocalBackend(kinds.get("fakenet"), workdir=root, preload=False)
    # One node of a pair, launched as the harness launches it: it dials a peer that never comes.
    node = backend.create([NodeSpec("node", ("node2",)), NodeSpec("node2", ("node",))])["node"]
    started = time.monotonic()
    node.start()
    try:
        wait_for(node.client.ready, bool, timeout=60, expected="node answers RPC", logs=node.logs)
        took = time.monotonic() - started
        cpu, _ = wait_for(lambda: logged_cpu(node.logs(200)), lambda seconds: seconds is not None, timeout=10,
                          expected="the node logs rpc_answering with its cpu_ms", logs=node.logs)
        full, _ = wait_for(lambda: logged_cpu(node.logs(200), "ready"), lambda seconds: seconds is not None,
                           timeout=30, expected="the node logs ready with its cpu_ms", logs=node.logs)
        return took, cpu, full
    finally:
        backend.close()


READY_PROBE = Path(__file__).with_name("node_ready.py")  # self-contained: the image has the node, not the bench
FLOOR_PROBE = "import resource as r; u = r.getrusage(r.RUSAGE_SELF); print(f'ready_cpu={u.ru_utime + u.ru_stime:.3f}')"


def container_command(probe: list[str], first_process: bool) -> list[str]:
    """`probe` as the container's first process, or as a child of sh there (dash does not exec a
    -c command's last line: the child's pid is not 1, tests/integration/test_bench_node.py)."""
    return probe if first_process else ["sh", "-c", " ".join(shlex.quote(word) for word in probe)]


def in_container(ctx: Context, floor: bool = False, first_process: bool = False) -> float:
    """CPU seconds to RPC answering (node_ready.py) in a fresh container of the image; `floor`: of
    a bare interpreter there instead. A new container each time: its root filesystem is a new
    mount, read cold, and the code is read from where `up` and the harness have their nodes read
    it (the host's copy, code_mounts, where the engine's storage driver is fuse-overlayfs; else the
    image's own files).

    The probe runs as a child of `sh`, so its count starts at its own exec; with `first_process`
    it is the container's first process, as a node container's `fakenet-node` is, and its count
    starts in runc's set-up, before the exec (the kernel keeps a process's usage across exec)."""
    probe = ["python3", "-c", FLOOR_PROBE] if floor else ["python3", "/r.py"]
    command = container_command(probe, first_process)
    output = run_once(ctx.client, ctx.image, command, entrypoint=[], network_mode="none", labels=ctx.labels(),
                      volumes={str(READY_PROBE): {"bind": "/r.py", "mode": "ro"}},
                      mounts=code_mounts.docker_mounts(code_mounts.for_image(ctx.client, ctx.image)))
    found = re.search(rb"ready_cpu=([0-9.]+)", output)
    if found is None:
        raise RuntimeError(f"no ready_cpu in the container's output: {output[-400:]!r}")
    return float(found.group(1))


def import_times(stderr: str) -> dict[str, int]:
    """Cumulative microseconds per module, from python -X importtime's report."""
    times = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            times[name.rstrip()] = int(cumulative)
    return times


def heaviest(times: dict[str, int], below: str, count: int = 3) -> list[tuple[str, int]]:
    """The top-level imports (one level under `below`'s indentation) with the most cumulative time."""
    indent = next(len(name) - len(name.lstrip()) for name in times if name.strip() == below)
    children = Counter({name.strip(): us for name, us in times.items() if len(name) - len(name.lstrip()) == indent + 2})
    return children.most_common(count)


def import_seconds() -> tuple[float, str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {MODULE}"], capture_output=True,
                            text=True, check=True)
    times = import_times(result.stderr)
    total = next(us for name, us in times.items() if name.strip() == MODULE)
    return total / 1e6, ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in heaviest(times, MODULE))


def _specs() -> dict[str, Figure]:
    return {
        "ready": spec("node.ready", "node start-up", "one local node: exec → answering RPC, swarm listening", "s",
                      note="nothing else starting"),
        "cpu": spec("node.cpu", "node start-up", "  CPU it used to get there", "s", goal=GOAL_CPU),
        "full": spec("node.cpu_ready", "node start-up", "  CPU by `ready` (stream layer built, swarm listening)", "s",
                     note="loaded after RPC answers"),
        "floor": spec("node.floor", "node start-up", "  the floor: CPU of a bare interpreter (`python -c pass`)", "s"),
        "container": spec("node.container_cpu", "node start-up", "  in a container: CPU to answering RPC", "s",
                          goal=GOAL_CPU, note="a fresh container, the code read as `up`'s nodes read it; "
                                              "the node's own CPU, from its exec"),
        "container_pid1": spec("node.container_cpu_pid1", "node start-up",
                               "    as the container's first process", "s",
                               note="runc's set-up before the exec counted in, as a node container's "
                                    "count starts (the bare containers pay it too)"),
        "container_floor": spec("node.container_floor", "node start-up", "  the floor in a container", "s"),
        "container_floor_pid1": spec("node.container_floor_pid1", "node start-up",
                                     "    as the container's first process", "s"),
        "import": spec("node.import", "node start-up", f"`import {MODULE}` (python -X importtime)", "s",
                       note="aiohttp and the HTTP apps are not in it: they load as the ports open"),
    }


def interpreter_cpu() -> float:
    """CPU seconds of an interpreter that starts and exits: what any Python node pays before its first line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(ctx: Context) -> list[Figure]:
    specs, runs = _specs(), ctx.plan.cheap_runs
    bytecode.ensure_node()  # the import figure's own interpreter reads it too
    with tempfile.TemporaryDirectory(prefix="fakenet-bench-node-") as tmp:
        starts = [ready(Path(tmp) / str(attempt)) for attempt in range(runs)]
    imports = [import_seconds() for _ in range(runs)]
    ctx.progress(f"node start-up: ready {[round(s, 2) for s, _, _ in starts]}, "
                 f"imports {[round(s, 2) for s, _ in imports]}")
    return [specs["ready"].with_samples([s for s, _, _ in starts]), specs["cpu"].with_samples([c for _, c, _ in starts]),
            specs["full"].with_samples([f for _, _, f in starts]),
            specs["floor"].with_samples([interpreter_cpu() for _ in range(runs)]),
            specs["container"].with_samples([in_container(ctx) for _ in range(runs)]),
            specs["container_pid1"].with_samples([in_container(ctx, first_process=True) for _ in range(runs)]),
            specs["container_floor"].with_samples([in_container(ctx, floor=True) for _ in range(runs)]),
            specs["container_floor_pid1"].with_samples([in_container(ctx, floor=True, first_process=True)
                                                        for _ in range(runs)]),
            specs["import"].with_samples([s for s, _ in imports], note=f"heaviest: {imports[-1][1]}")]


def figures(ctx: Context) -> Iterator[Figure]:
    yield from guarded(_specs().values(), lambda: measure(ctx), ctx.progress)
