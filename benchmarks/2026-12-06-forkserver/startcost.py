"""benchmarks/2026-12-06-forkserver: CPU per local node start (FAKENET_FORKSERVER=0 before, 1 after): N rounds of a 2-node network; per node /proc utime+stime at RPC
answering (first getnetworkinfo ok) and once the aiohttp apps answer (7007 healthcheck)."""
import os, sys, tempfile, time, json, urllib.request, resource
from pathlib import Path
from fakenet import kinds
from fakenet.harness.backends import NodeSpec
from fakenet.harness.backends.local import LocalBackend
from fakenet.harness.waits import wait_for

TICK = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK

def apps_up(url):
    try:
        with urllib.request.urlopen(url + "/api/v0/node/healthcheck", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
rpc, apps, walls = [], [], []
self0 = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(rounds):
    root = Path(tempfile.mkdtemp())
    b = LocalBackend(kinds.get("fakenet"), workdir=root)
    rts = b.create([NodeSpec("node", ("node2",)), NodeSpec("node2", ("node",))])
    t = time.monotonic()
    for rt in rts.values():
        rt.start()
    for rt in rts.values():
        wait_for(rt.client.ready, bool, timeout=60, expected="ready", logs=rt.logs)
        rpc.append(cpu(rt.process.process.pid))
    for rt in rts.values():
        wait_for(lambda: apps_up(rt.url("api")), bool, timeout=60, expected="apps", logs=rt.logs)
        apps.append(cpu(rt.process.process.pid))
    walls.append(time.monotonic() - t)
    b.close()
self1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rounds": rounds, "nodes": len(rpc), "cpu_at_ready_mean": round(sum(rpc)/len(rpc), 3),
                  "cpu_at_apps_mean": round(sum(apps)/len(apps), 3), "wall_rounds": [round(w, 2) for w in walls],
                  "harness_cpu": round(self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime, 2),
                  "load": open("/proc/loadavg").read().split()[:3]}))
fs = sys.modules.get("fakenet.harness.backends.forkserver")
if fs and fs._servers:
    for s in fs._servers.values():
        print("zygote pid", s.process.pid, "own cpu", cpu(s.process.pid), "own+ended forks", fs.cpu())
