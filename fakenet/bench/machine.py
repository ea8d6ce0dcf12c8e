"""The machine a bench ran on, and how busy it was: the conditions every figure depends on."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")  # /proc/stat counts in these
REFERENCE_ROUNDS = 3


def memory_gib(meminfo: str) -> float:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    raise ValueError("no MemTotal in /proc/meminfo")


def node_processes(proc: Path = Path("/proc")) -> int:
    """fakenet node processes running on this host (ours, other users', and any in containers); a
    node forked by the local backend's fork server has its server's command line and its server
    for a parent (harness/backends/forkserver.py)."""
    count, forked = 0, set()
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # the process ended while we looked
        if any(arg.endswith((b"fakenet.node", b"fakenet.node.daemon", b"fakenet-node")) for arg in args[:3]):
            count += 1
        elif b"fakenet.zygote" in args[:3] and any(arg.startswith(b"fakenet.node.daemon:") for arg in args):
            forked.add(cmdline.parent.name)
    return count + sum(_parent(proc / pid) in forked for pid in forked)


def _parent(process: Path) -> str:
    try:
        return (process / "stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return ""


def cpu_model(cpuinfo: str) -> str:
    """The first processor's "model name" ("" where /proc/cpuinfo has none, as on some ARM kernels)."""
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return " ".join(line.partition(":")[2].split())
    return ""


def cpu_times(stat: str) -> dict[str, float]:
    """The machine's CPU seconds since boot, summed over its cores, from /proc/stat's first line:
    busy (user, nice, system, irq, softirq), idle (idle, iowait) and steal (what the hypervisor gave
    to other guests: a machine that is not quiet shows it here, and its figures are slower); none
    where there is no /proc/stat to read."""
    if not stat:
        return {}
    fields = stat.splitlines()[0].split()
    if fields[0] != "cpu" or len(fields) < 9:
        raise ValueError(f"not /proc/stat's summary line: {stat.splitlines()[0]!r}")
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) / _TICK for x in fields[1:9])
    return {"busy": round(user + nice + system + irq + softirq, 2), "idle": round(idle + iowait, 2),
            "steal": round(steal, 2)}


def cpu_since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The CPU seconds between two cpu_times() readings (none where either has none)."""
    return {key: round(after[key] - before[key], 2) for key in before if key in after}


def _reference_work() -> int:
    """A fixed piece of pure-Python work: strings, a dict of 100,000 entries walked three times (a
    working set past the CPU's caches, as the simulator's), a sort. Its result is returned so that
    none of it can be skipped."""
    table = {}
    for i in range(100_000):
        key = f"k{i * 7919 % 100_003}"
        table[key] = [i, key.encode(), 0]
    total = 0
    for _ in range(3):
        for entry in table.values():
            entry[2] = entry[0] ^ len(entry[1])
            total += entry[2]
    return total + len(sorted(table.values(), key=lambda entry: entry[1]))


def reference_cpu(rounds: int = REFERENCE_ROUNDS) -> float:
    """The median CPU seconds of the reference work on this interpreter: the machine's speed in the
    unit every figure is paid in. The same code measured 1.7x apart on two machines of this
    workplace a day apart (BENCHMARKS.md, nineteenth session); a figure read beside this number
    says whether it moved or the machine did."""
    took = []
    for _ in range(rounds):
        started = time.process_time()
        _reference_work()
        took.append(time.process_time() - started)
    return round(statistics.median(took), 3)


def describe(client) -> dict:
    info = client.info()
    return {
        "cpu_model": cpu_model(proc_text("/proc/cpuinfo")),
        "nproc": os.cpu_count(),
        "memory_gib": memory_gib(Path("/proc/meminfo").read_text()),
        "kernel": platform.release(),
        "os": info.get("OperatingSystem", ""),
        "docker_server": info.get("ServerVersion", ""),
        "storage_driver": info.get("Driver", ""),
        "cgroup": f"v{info.get('CgroupVersion', '?')} ({info.get('CgroupDriver', '?')})",
        "python": platform.python_version(),
    }


def load(client) -> dict:
    """A snapshot of how busy and how fast the machine is: load averages, node processes, running
    containers, the CPU seconds so far (busy, idle, stolen) and the reference work's CPU now."""
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "node_processes": node_processes(),
            "containers_running": len(client.containers.list(sparse=True)),
            "cpu": cpu_times(proc_text("/proc/stat")), "reference_cpu_s": reference_cpu()}


def proc_text(path: str) -> str:
    """A /proc file's text; "" where there is none (another OS, a container without it)."""
    try:
        return Path(path).read_text()
    except OSError:
        return ""
