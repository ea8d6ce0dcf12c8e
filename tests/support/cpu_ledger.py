"""CPU seconds per test item, for finding what makes the suite slow on a machine whose cores are busy
throughout (issue 28): wall-clock durations there say more about the neighbours than the item.

    FAKENET_CPU_LEDGER=cpu.jsonl ./fake test -p support.cpu_ledger
    .venv/bin/python tests/support/cpu_ledger.py cpu.jsonl      # the total and the top items

Which items start the engine's containers (each start is ~0.4 CPU s of the engine's and the node's
own start on top, none of it in the ledger): take the engine's start events beside the run, then
count them per test file:

    docker events --filter type=container --filter event=start \
        --format '{{.TimeNano}} {{index .Actor.Attributes "io.fakenet.owner"}}' > starts.txt &
    .venv/bin/python tests/support/cpu_ledger.py cpu.jsonl --starts starts.txt

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


def starts_by_file(rows: list[dict], events: list[str]) -> tuple[dict[str, int], int]:
    """({test file: container starts}, starts no item can be named for). An event line is
    "<TimeNano> <owner label>"; the owner names the worker's pid (fakenet/labels.py), and a worker runs
    one item at a time, so the item is the one of that pid whose span holds the event. A start without
    an owner (compose's: `fake up` labels none) or outside every span counts as unnamed."""
    counts: dict[str, int] = {}
    unnamed = 0
    for line in events:
        fields = line.split()
        if not fields:
            continue
        at, owner = int(fields[0]) / 1e9, fields[1] if len(fields) > 1 else ""
        pid = owner.split(":")[1] if owner.count(":") >= 1 else ""
        item = next((row["item"] for row in rows if str(row.get("pid")) == pid
                     and row["end"] - row["wall"] <= at <= row["end"]), None)
        if item is None:
            unnamed += 1
            continue
        path = item.split("::")[0]
        counts[path] = counts.get(path, 0) + 1
    return counts, unnamed


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--starts":
        with open(sys.argv[1]) as ledger, open(sys.argv[3]) as events:
            counts, unnamed = starts_by_file([json.loads(line) for line in ledger], events.readlines())
        for path, count in sorted(counts.items(), key=lambda pair: -pair[1]):
            print(f"{count:5d}  {path}")
        print(f"{unnamed:5d}  (no item: compose's containers, or outside every item)")
        sys.exit(0)
    with open(sys.argv[1]) as ledger:
        total = sum(json.loads(line)["cpu"] for line in ledger)
    print(f"{total:.1f} CPU s in all (cpu, of it children, wall, item)")
    for row in top(sys.argv[1]):
        print(f"{row['cpu']:8.2f} {row['children']:8.2f} {row['wall']:8.1f}  {row['item']}")
