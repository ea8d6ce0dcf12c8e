"""The machine a bench ran on, and how busy it was: the conditions every figure depends on."""

from __future__ import annotations

import os
import platform
from pathlib import Path


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


def describe(client) -> dict:
    info = client.info()
    return {
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
    """A snapshot of how busy the machine is: load averages, node processes, running containers."""
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "node_processes": node_processes(),
            "containers_running": len(client.containers.list(sparse=True))}
