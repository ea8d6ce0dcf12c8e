"""CPU seconds per test item, for finding what makes the suite slow on a machine whose cores are busy
throughout (issue 28): wall-clock durations there say more about the neighbours than the item.

    FAKENET_CPU_LEDGER=cpu.jsonl ./fake test -p support.cpu_ledger
    .venv/bin/python tests/support/cpu_ledger.py cpu.jsonl      # the total and the top items

Each item (setup, call and teardown) appends one JSON line: the worker process's own CPU and its
reaped children's (local nodes, schemathesis, pip: a child counts once it has been waited for, so a
node of a module-scoped fixture is billed to the item whose teardown stops it). Local nodes forked
by the fork server are its children, not the worker's: the server's CPU and its ended forks' are
read from /proc and counted with the children (harness/backends/forkserver.py, cpu()). Containers run
under the engine and are not counted. Lines from several xdist workers go to one file: each is one
short O_APPEND write. Each line also names its worker and when the item ended (Unix time), so a
run's schedule can be read back: which worker ran what, and whether one ran alone at the end; and its
pid, which the engine's resources name in their owner label (fakenet/labels.py), so `docker events`
taken beside a run tell which item started which containers.
"""

import json
import os
import resource
import sys
import time

import pytest


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    forks = sys.modules.get("fakenet.harness.backends.forkserver")
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime + (forks.cpu() if forks else 0.0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    path = os.environ.get("FAKENET_CPU_LEDGER")
    if not path:
        yield
        return
    (own, children), began = _cpu(), time.monotonic()
    yield
    (own_after, children_after), wall = _cpu(), time.monotonic() - began
    line = json.dumps({"item": item.nodeid, "cpu": round(own_after - own + children_after - children, 3),
                       "children": round(children_after - children, 3), "wall": round(wall, 3),
                       "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "pid": os.getpid(), "end": round(time.time(), 3)})
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line + "\n").encode())
    finally:
        os.close(descriptor)


def top(path: str, count: int = 40) -> list[dict]:
    """The `count` items that used the most CPU, most first."""
    with open(path) as lines:
        return sorted((json.loads(line) for line in lines), key=lambda row: -row["cpu"])[:count]


if __name__ == "__main__":
    with open(sys.argv[1]) as ledger:
        total = sum(json.loads(line)["cpu"] for line in ledger)
    print(f"{total:.1f} CPU s in all (cpu, of it children, wall, item)")
    for row in top(sys.argv[1]):
        print(f"{row['cpu']:8.2f} {row['children']:8.2f} {row['wall']:8.1f}  {row['item']}")
