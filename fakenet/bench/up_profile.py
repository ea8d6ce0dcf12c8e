"""Where one `./fake up -d` spends its time, in terms a loaded machine does not blur: CPU seconds
per phase, engine API calls (compose's and ours), node probes, and each node container's CPU.

    .venv/bin/python -m fakenet.bench.up_profile [--nodes N] [--project P]    # then `./fake -p P down -v`

The command runs in this process (as `python -m fakenet` would, imports included) against a
counting proxy of the engine's socket: DOCKER_HOST points compose and the SDK at it, and every
request line is counted on its way through. Wall seconds are printed too, for a quiet machine;
on a shared one compare the CPU and the counts (issue 28, BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import re
import resource
import socket
import sys
import tempfile
import threading
import time

ENGINE = "/var/run/docker.sock"
REQUEST = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/[^ ?]*)[^ ]* HTTP/1\.[01]\r\n")
IDS = re.compile(r"[0-9a-f]{64}")


class CountingProxy:
    """A unix socket in front of the engine's that counts request lines (method, path without ids)."""

    def __init__(self):
        self.path = os.path.join(tempfile.mkdtemp(prefix="fakenet-upprof-"), "docker.sock")
        self.calls: collections.Counter = collections.Counter()
        self.cpu = 0.0  # seconds of its own threads: not `up`'s, and subtracted from this process's
        self._cpu_lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(self.path)
        self._server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self._server.accept()
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(ENGINE)
            threading.Thread(target=self._pipe, args=(client, engine, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(engine, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        tail, cpu = b"", time.thread_time()
        try:
            while data := source.recv(65536):
                if count:  # a request line split over two reads is whole in tail + data
                    seen = tail + data
                    for match in REQUEST.finditer(seen):
                        if match.end() > len(tail):
                            self.calls[f"{match[1].decode()} {IDS.sub('ID', match[2].decode())}"] += 1
                    tail = seen[-200:]
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            with self._cpu_lock:
                self.cpu += time.thread_time() - cpu

    def own_cpu(self) -> float:
        """Its threads' CPU so far (a pipe still open, as the event stream's, counts once it ends)."""
        with self._cpu_lock:
            return self.cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _container_cpu(container_id: str) -> float | None:
    """CPU seconds of a container's cgroup (cgroup v1's cpuacct; None where the engine keeps it elsewhere)."""
    try:
        with open(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage") as handle:
            return int(handle.read()) / 1e9
    except OSError:
        return None


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--nodes", type=int, default=4)
    options.add_argument("--project", default="upprof")
    args = options.parse_args(argv)
    proxy = CountingProxy()
    os.environ["DOCKER_HOST"] = f"unix://{proxy.path}"
    phases: list[tuple[str, float, float, float]] = []

    def timed(name, function):
        def wrapper(*a, **k):
            wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            try:
                return function(*a, **k)
            finally:
                phases.append((name, time.perf_counter() - wall, time.process_time() - cpu, _children_cpu() - children))
        return wrapper

    wall0, cpu0 = time.perf_counter(), time.process_time()
    from fakenet import bytecode, lazy_ssh

    bytecode.ensure()
    lazy_ssh.install()
    from fakenet import cli, compose, compose_start, image

    phases.append(("python imports (fake command)", time.perf_counter() - wall0, time.process_time() - cpu0, 0.0))
    probes = [0]

    def count_the_wait() -> None:
        """The wait's module, once `up` has imported it (while compose runs, as without this profile)."""
        from fakenet import netstatus

        probe = netstatus.probe

        def counted(*a, **k):
            probes[0] += 1
            return probe(*a, **k)

        netstatus.probe = counted
        netstatus.wait_meshed = timed("wait until healthy and meshed", netstatus.wait_meshed)

    imports = cli._import_for_the_wait
    cli._compose_subnet = timed("pick the subnet", cli._compose_subnet)
    image.present_tag = timed("present_tag (hash the tree, find the tag; no SDK)", image.present_tag)
    image.ensure_image = timed("ensure_image (hash the tree, find or build the tag)", image.ensure_image)
    compose.run = timed("compose (up with options fakenet does not interpret)", compose.run)
    cli._create_and_start = timed("compose up --no-start, each container started as created", cli._create_and_start)
    cli._docker = timed("  the SDK's import and client (while compose runs)", cli._docker)
    cli._import_for_the_wait = timed("  the wait's imports, while compose runs", lambda: (imports(), count_the_wait()))
    compose_start.start_all = timed("  then the containers not started yet", compose_start.start_all)
    cli._print_table = timed("print the table", cli._print_table)
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["-p", args.project, "up", "-d", "--nodes", str(args.nodes)])
    total_wall, own_cpu, children_cpu = time.perf_counter() - wall0, time.process_time(), _children_cpu()
    imported = [name for name in ("docker", "requests", "http.client", "rich.table") if name in sys.modules]
    proxy_cpu = proxy.own_cpu()
    print(f"./fake -p {args.project} up -d --nodes {args.nodes}: exit {code}, {total_wall:.2f} s wall; CPU: "
          f"this process {own_cpu - proxy_cpu:.3f} s (+ the counting proxy {proxy_cpu:.3f} s), "
          f"compose {children_cpu:.3f} s; imported: {', '.join(imported) or 'none of docker, requests, http.client'}")
    for name, wall, cpu, children in phases:
        compose_cpu = f" + compose {children:.3f} s" if children else ""
        print(f"  {name:<55} wall {wall:6.2f} s  CPU {cpu:.3f} s{compose_cpu}")
    calls = collections.Counter(proxy.calls)  # up's own: the listing below is the profiler's
    from fakenet.labels import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL

    found = cli._docker().containers.list(ignore_removed=True, filters={"label": f"{COMPOSE_PROJECT_LABEL}={args.project}"})
    usage = {c.labels.get(COMPOSE_SERVICE_LABEL, c.name): _container_cpu(c.id) for c in found}
    known = [cpu for cpu in usage.values() if cpu is not None]
    print(f"  node probes (one HTTP RPC batch each): {probes[0]}")
    print(f"  node containers' CPU when up returned: {sum(known):.2f} s over {len(known)} "
          f"(max {max(known, default=0):.2f})")
    print(f"  engine API calls: {sum(calls.values())}")
    for call, times in calls.most_common():
        print(f"    {times:3d}  {call}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
