"""One node started as `fakenet-node` starts it, stopped the moment it is ready: for profilers.

    python -m fakenet.bench.node_ready            # prints "ready_cpu=<CPU seconds>" and exits
    python -m fakenet.bench.node_ready --apps     # also asks an aiohttp port and waits until they serve: "apps_cpu=…"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m fakenet.bench.node_ready
    docker run --rm -v $PWD/fakenet/bench/node_ready.py:/r.py fakenet-node:<tag> python3 /r.py

The node starts as a container's `fakenet-node` does (fakenet.node.early: its ports bound first,
asyncio without ssl, an empty command line, every setting from the environment), with a throwaway
data dir and a peer that never answers; the process ends with os._exit at `ready` (or once the
aiohttp ports serve), so what a profiler counts is exec → ready and nothing after. Self-contained
(the node package and the standard library), so a container can run the file.
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import time

from fakenet.node import early


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report_and_exit(what: str) -> None:
    print(f"{what}={cpu_seconds():.3f}", flush=True)
    os._exit(0)


def _exit_at_ready(daemon, wait_for_apps: bool) -> None:
    from fakenet.node.http_ports import HttpPorts

    start, serve_apps = daemon.Node.start, HttpPorts.serve_apps

    async def started(node):
        await start(node)
        if not wait_for_apps:
            _report_and_exit("ready_cpu")
        print(f"ready_cpu={cpu_seconds():.3f}", flush=True)
        # The apps load for their first client (http_ports.py): this is it. The kernel accepts the
        # connection on the listening socket at once; it is never read, the process ends first.
        node.apps_client = socket.create_connection((node.settings.bind, node.settings.api_port))

    async def served(ports):
        await serve_apps(ports)
        _report_and_exit("apps_cpu")

    daemon.Node.start, HttpPorts.serve_apps = started, served


def main(argv: list[str]) -> int:
    pid = os.getpid()  # an address of its own on the loopback: runs side by side do not collide
    # Not tempfile: the node does not import it, and its imports (shutil, lzma, bz2, random) are ~4 ms.
    datadir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fakenet-ready-{pid}-{time.time_ns()}")
    os.mkdir(datadir, 0o700)
    os.environ.update(FAKENET_DATADIR=datadir, FAKENET_NODE_NAME="node",
                      FAKENET_BIND=f"127.213.{pid % 250}.{pid // 250 % 250 + 1}", FAKENET_RPCUSER="bench",
                      FAKENET_RPCPASSWORD="bench", FAKENET_PEERS="/ip4/127.0.0.1/tcp/1")
    daemon = early.start([])
    _exit_at_ready(daemon, "--apps" in argv)
    return daemon.main([])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
