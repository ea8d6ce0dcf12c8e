"""cProfile (CPU time) of node0's event-loop thread from exec to meshed: N local nodes, node0 under cProfile,
stopped by SIGTERM as soon as net.start() returns; prints the top functions by cumulative time.

    .venv/bin/python benchmarks/2026-12-06-meshcpu/profile_node.py 16 random-regular
"""
import os, pstats, sys, tempfile, time
from pathlib import Path

from fakenet.harness.network import Network
from fakenet.kinds import fakenet_kind

out = Path(tempfile.mkdtemp(prefix="prof-")) / "node0.prof"
orig = fakenet_kind.FakenetKind.local_command


def command(self, launch):
    if launch.name != "node":
        return orig(self, launch)
    # thread_time: the loop thread's own CPU, not the wall clock a loaded machine stretches, nor the import thread's
    code = (f"import cProfile, time; from fakenet.node import daemon; p = cProfile.Profile(time.thread_time); "
            f"p.runcall(daemon.main); p.dump_stats({str(out)!r})")
    return [sys.executable, "-c", code]


fakenet_kind.FakenetKind.local_command = command
net = Network(int(sys.argv[1]), backend="local", topology=sys.argv[2], start_timeout=240.0)
try:
    net.start()
    time.sleep(float(os.environ.get("IDLE", "0")))  # a measuring window after meshed, not a wait for a condition
    net.fleet.runtimes["node"].stop()
finally:
    net.close()
stats = pstats.Stats(str(out))
stats.sort_stats(sys.argv[3] if len(sys.argv) > 3 else "cumulative").print_stats(45)
