"""One node started as `fakenet-node` starts it, stopped the moment it is ready: for profilers.

    python -m fakenet.bench.node_ready            # prints "ready_cpu=<CPU seconds>" and exits
    python -m fakenet.bench.node_ready --apps     # also asks an aiohttp port and waits until they serve: "apps_cpu=…"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m fakenet.bench.node_ready
    docker run --rm -v $PWD/fakenet/bench/node_ready.py:/r.py fakenet-node:<tag> python3 /r.py

`daemon.main()` runs as it does in a node process (imports, settings, the CA-store switch, logging),
with a throwaway data dir and a peer that never answers; the process ends with os._exit at
`ready` (or once the aiohttp ports serve), so what a profiler counts is exec → ready and nothing
after. Self-contained (the node package and the standard library), so a container can run the file.
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import time

from fakenet.node import daemon
from fakenet.node.http_ports import HttpPorts


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report_and_exit(what: str) -> None:
    print(f"{what}={cpu_seconds():.3f}", flush=True)
    os._exit(0)


def _exit_at_ready(wait_for_apps: bool) -> None:
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
    _exit_at_ready("--apps" in argv)
    pid = os.getpid()  # an address of its own on the loopback: runs side by side do not collide
    # Not tempfile: the node does not import it, and its imports (shutil, lzma, bz2, random) are ~4 ms.
    datadir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fakenet-ready-{pid}-{time.time_ns()}")
    os.mkdir(datadir, 0o700)
    return daemon.main(["--datadir", datadir, "--name", "node",
                        "--bind", f"127.213.{pid % 250}.{pid // 250 % 250 + 1}", "--rpcuser", "bench",
                        "--rpcpassword", "bench", "--peer", "/ip4/127.0.0.1/tcp/1"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
