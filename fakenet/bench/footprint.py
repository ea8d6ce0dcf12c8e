"""Footprint of an idle node: resident memory and CPU of its process, read from /proc.

A node in a container is PID 1 of its namespace, and the host's /proc sees it under the pid
the engine reports; a local node is our own child. The network is left alone for the idle
window (no RPC, no probes) after a short settle, so only the node's own timers run: peer
keep-alives, cluster heartbeats. For compose networks the container's CPU (its cgroup, read
through `docker stats`) is reported as well: it includes Docker's health check. So is the
engine's own CPU (dockerd, containerd and the shims, with the runc children they reaped) per
node: every health check is an exec, and an exec costs the engine far more than the check.
A 64-node local network is measured with the cluster on and off: its heartbeats are flooded, each
node's to every node, so their share of an idle node's CPU grows with the network (BENCHMARKS.md,
fourteenth session: 2.7 % against 0.5 % a node in containers).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

from fakenet.bench import compose_net, harness_net, images
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import guarded
from fakenet.bench.plan import QUICK_SKIPS

SETTLE = 2.0  # seconds after meshed before the window opens: start-up's last work is not idling
GOAL_RSS, GOAL_CPU = 50.0, 1.0
MB = 1e6
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """User + system CPU time of one process (fields 14 and 15 of /proc/PID/stat)."""
    fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int, proc: Path = Path("/proc")) -> int:
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for pid {pid}")


ENGINE_PROCESSES = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2")


def engine_pids(proc: Path = Path("/proc")) -> list[int]:
    """The engine's processes on this host; none where the engine runs elsewhere (Docker Desktop, remote)."""
    pids = []
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ENGINE_PROCESSES:
                pids.append(int(comm.parent.name))
        except OSError:
            continue  # the process ended while we looked
    return pids


def cpu_with_children(pid: int, proc: Path = Path("/proc")) -> float:
    """User + system CPU of a process and of the children it has waited for (fields 14-17)."""
    fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / _TICK


def engine_cpu(pids: list[int]) -> dict[int, float]:
    seen = {}
    for pid in pids:
        try:
            seen[pid] = cpu_with_children(pid)
        except OSError:
            pass  # gone since listed: its CPU leaves the sum
    return seen


def container_cpu_ns(container) -> int:
    return container.stats(stream=False, one_shot=True)["cpu_stats"]["cpu_usage"]["total_usage"]


def idle(pids: list[int], window: float, containers=()) -> dict[str, list[float]]:
    """Per process: RSS (MB) at the end, CPU (% of one core) over the window; per container: cgroup CPU %."""
    time.sleep(SETTLE)  # a measurement interval, not a wait for a condition
    engine = engine_pids() if containers else []
    with ThreadPoolExecutor(max(1, len(containers))) as pool:
        before_ct = list(pool.map(container_cpu_ns, containers))
        before_engine = engine_cpu(engine)
        before, started = [cpu_seconds(pid) for pid in pids], time.monotonic()
        time.sleep(window)
        after, elapsed = [cpu_seconds(pid) for pid in pids], time.monotonic() - started
        after_engine = engine_cpu(engine)
        after_ct = list(pool.map(container_cpu_ns, containers))
    engine_seconds = sum(after_engine[pid] - before_engine[pid] for pid in after_engine if pid in before_engine)
    return {"rss": [rss_bytes(pid) / MB for pid in pids],
            "cpu": [100 * (b - a) / elapsed for a, b in zip(before, after)],
            "container_cpu": [100 * (b - a) / 1e9 / elapsed for a, b in zip(before_ct, after_ct)],
            "engine_cpu": [100 * engine_seconds / elapsed / len(containers)] if engine else []}


def _docker_specs(window: float) -> dict[str, Figure]:
    """Figures by the series of `idle()` they show."""
    note = f"4-node `fake up` network, its HTTP apps loaded, {window:g} s idle window; one sample per node"
    return {"rss": spec("footprint.rss.docker", "footprint", "idle node RSS (docker, node process)", "MB", GOAL_RSS,
                        note),
            "cpu": spec("footprint.cpu.docker", "footprint", "idle node CPU (docker, node process)", "%", GOAL_CPU,
                        note),
            "container_cpu": spec("footprint.cpu.container", "footprint",
                                  "idle container CPU (cgroup, incl. the 10 s health check)", "%", note=note),
            "engine_cpu": spec("footprint.cpu.engine", "footprint", "engine CPU per idle node (dockerd, containerd, "
                               "shims)", "%", note=f"whole engine over the {window:g} s window ÷ 4 nodes; "
                               "no network: ~0.3 % in all")}


def _local_specs(window: float) -> dict[str, Figure]:
    note = f"4 local processes, {window:g} s idle window; one sample per node"
    return {"rss": spec("footprint.rss.local", "footprint", "idle node RSS (local process)", "MB", GOAL_RSS, note),
            "cpu": spec("footprint.cpu.local", "footprint", "idle node CPU (local process)", "%", GOAL_CPU, note)}


LARGE = 64  # where the cluster's flooded heartbeats show: each node's heartbeat reaches every node


def _large_local_specs(window: float) -> dict[str, Figure]:
    note = f"{LARGE} local processes, random-regular (degree 3), {window:g} s idle window; one sample per node"
    return {"cpu": spec(f"footprint.cpu.local{LARGE}", "footprint", f"idle node CPU, {LARGE} local nodes", "%",
                        note=note + "; cluster heartbeats on, as `up` runs them: flooded, n² copies an interval"),
            "cpu_no_cluster": spec(f"footprint.cpu.local{LARGE}.no_cluster", "footprint",
                                   "  the same, cluster off (FAKENET_CLUSTER=0)", "%", note=note)}


def large_local_idle(ctx: Context) -> dict[str, list[float]]:
    """Per-node idle CPU of a 64-node local network, with the cluster on and then off: what grows with
    the network's size beside what does not."""
    seen = {}
    for series, cluster in (("cpu", True), ("cpu_no_cluster", False)):
        with harness_net.network(ctx, LARGE, "local", "random-regular", settings={"cluster": cluster}) as net:
            pids = [net.fleet.runtimes[name].process.process.pid for name in net.names]
            seen[series] = idle(pids, ctx.plan.idle_window)["cpu"]
    return seen


APPS_LOADED = "event=http_apps_serving"  # a node's HTTP apps load for their first client (http_ports.py)


def _apps_loaded(containers) -> list[str]:
    """The containers whose node has not yet loaded its HTTP apps (the whole log: a fresh network's is
    short, and a tail could leave the line out behind later ones)."""
    return [c.name for c in containers if APPS_LOADED not in c.logs().decode(errors="replace")]


def docker_idle(ctx: Context) -> dict[str, list[float]]:
    """A `fake up` network once its start-up work is done. That includes the HTTP apps, which a node
    loads for its first client: in a compose network the first health check, ~10 s after the start
    (~0.4 CPU s and ~17 MB a node). A window that opened before them counted their load as idle CPU
    and left them out of RSS, depending on its length (5 s: 0.5 %, 32 MB; 20 s: 1.65 %, 49 MB)."""
    from fakenet.harness.waits import wait_for

    with compose_net.running(ctx, 4) as net:
        found = net.containers()
        wait_for(lambda: _apps_loaded(found), lambda waiting: not waiting, timeout=60, max_interval=1.0,
                 expected="every node's HTTP apps loaded (the first health check, ~10 s after the start)",
                 logs=lambda: [line for c in found for line in c.logs(tail=5).decode(errors="replace").splitlines()])
        for container in found:
            container.reload()
        return idle([c.attrs["State"]["Pid"] for c in found], ctx.plan.idle_window, found)


def local_idle(ctx: Context) -> dict[str, list[float]]:
    with harness_net.network(ctx, 4, "local") as net:
        return idle([net.fleet.runtimes[name].process.process.pid for name in net.names], ctx.plan.idle_window)


def _measured(ctx: Context, specs: dict[str, Figure], measure) -> list[Figure]:
    seen = measure(ctx)
    return [figure.with_samples(seen[series]) if seen[series] else
            figure.not_measured("the engine's processes are not on this host (Docker Desktop or a remote engine)")
            for series, figure in specs.items()]


def figures(ctx: Context) -> Iterator[Figure]:
    yield from guarded(images.size_specs(), lambda: images.sizes(ctx), ctx.progress)
    for specs, measure in ((_docker_specs(ctx.plan.idle_window), docker_idle),
                           (_local_specs(ctx.plan.idle_window), local_idle)):
        yield from guarded(specs.values(), lambda: _measured(ctx, specs, measure), ctx.progress)
    large = _large_local_specs(ctx.plan.idle_window)
    if not ctx.plan.large_idle:
        yield from (figure.not_measured(QUICK_SKIPS["idle-64"]) for figure in large.values())
        return
    yield from guarded(large.values(), lambda: _measured(ctx, large, large_local_idle), ctx.progress)
