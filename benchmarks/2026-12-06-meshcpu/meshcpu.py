"""Per-node CPU from exec to meshed, local backend: start N nodes, and as net.start() returns
(every link up, every key trusted) read each node's utime+stime from /proc/<pid>/stat; then
count the swarm's events in the nodes' logs (FAKENET_DEBUG=1 for dial and handshake failures).

    .venv/bin/python benchmarks/2026-12-06-meshcpu/meshcpu.py 16 random-regular
"""
import collections, os, re, statistics, sys, tempfile, time
from pathlib import Path

from fakenet.harness.network import Network
from fakenet.kinds import fakenet_kind

fakenet_kind.FakenetKind.environment = (lambda orig: lambda self, launch: {**orig(self, launch), "FAKENET_DEBUG": "1"})(
    fakenet_kind.FakenetKind.environment)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


n, topology = int(sys.argv[1]), sys.argv[2]
Path("/tmp/meshcpu").mkdir(exist_ok=True)
work = Path(tempfile.mkdtemp(prefix=f"n{n}-", dir="/tmp/meshcpu"))
load0 = os.getloadavg()[0]
net = Network(n, backend="local", topology=topology, start_timeout=240.0, workdir=work)
t0 = time.time()
try:
    net.start()
    wall = time.time() - t0
    pids = {name: rt.process.process.pid for name, rt in net.fleet.runtimes.items()}
    cpus = {name: cpu_of(pid) for name, pid in pids.items()}
    # Then the idle rate: what a meshed node keeps spending (heartbeats, pings), per second of CPU time
    # measured over IDLE wall seconds (a sleep here is the measuring window, not a wait for a condition).
    IDLE = float(os.environ.get("IDLE", "10"))
    time.sleep(IDLE)
    idle = sorted((cpu_of(pid) - cpus[name]) / IDLE for name, pid in pids.items())
finally:
    net.backend._own_workdir = False
    net.close()
events = collections.Counter()
per_node = collections.defaultdict(collections.Counter)
ready_cpu, rpc_cpu, meshed_cpu = [], [], []
for log in work.glob("*.log"):
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(r"event=(\S+)", line)
        if not m:
            continue
        e = m.group(1)
        if e in ("dial_failed", "handshake_failed"):
            e += ":" + ("timeout" if "Timeout" in line else "refused" if "onnect" in line else "other")
        events[e] += 1
        per_node[log.stem][e] += 1
        c = re.search(r"cpu_ms=(\d+)", line)
        if c and e == "ready":
            ready_cpu.append(int(c.group(1)))
        if c and e == "meshed":
            meshed_cpu.append(int(c.group(1)))
        if c and e == "rpc_answering":
            rpc_cpu.append(int(c.group(1)))
vals = sorted(cpus.values())
print(f"n={n} {topology} load {load0:.1f}->{os.getloadavg()[0]:.1f} wall {wall:.2f}s work {work}")
print(f"cpu at meshed per node: median {statistics.median(vals):.3f} mean {statistics.mean(vals):.3f} "
      f"min {vals[0]:.3f} max {vals[-1]:.3f} sum {sum(vals):.2f}")
print(f"after meshed, cpu per node per second: median {statistics.median(idle) * 1000:.1f} ms/s max {idle[-1] * 1000:.1f}")
print(f"cpu_ms at rpc_answering median {statistics.median(rpc_cpu)}, at ready median {statistics.median(ready_cpu)}, "
      f"at its own meshed median {statistics.median(meshed_cpu) if meshed_cpu else '-'} max {max(meshed_cpu, default='-')} "
      f"({len(meshed_cpu)} of {n} logged it)")
for e, c in sorted(events.items()):
    if e.startswith(("dial", "handshake", "peer_", "cluster", "swarm")):
        print(f"  {e:28s} {c:6d}  per node {c / n:.2f}")
