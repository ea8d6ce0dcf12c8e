"""Measure fakenet's speed and footprint, each figure the median of several runs with min and max.

usage: fake bench [--quick] [--json FILE] [--markdown FILE] [--only GROUP]…

Groups: image, node (one node's start-up), start-up, footprint, recovery, streams, ceramic (interest
sync: events/s taken in per peer from a 2,000-event backlog, wall and per CPU-second, post-to-feed latency), suite (the
scenario suite's wall time), sim (nodes in one process on network time: 100 and 1,000), scale (64
nodes on one host, and over two hosts). Start-up figures stand beside bare containers of the same image
(the engine's limit) as a ratio. --quick fits in five minutes on two cores by measuring less;
what it leaves out says why in the table. The full run takes about 50 minutes there.
See BENCHMARKS.md for a run and what bounds each figure.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from fakenet.bench import machine, report
from fakenet.bench.context import Context
from fakenet.bench.plan import FULL, QUICK
from fakenet.bench.run import GROUPS, run
from fakenet.errors import ContainerError


def parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fake bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[2:]))
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes: under five minutes")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the table as GitHub markdown (as in BENCHMARKS.md)")
    parser.add_argument("--only", action="append", choices=list(GROUPS), metavar="GROUP",
                        help=f"measure only this group (repeatable): {', '.join(GROUPS)}")
    return parser.parse_args(args)


def _engine():
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise ContainerError(f"fake bench needs a Docker engine: {exc}") from exc
    return client


def main(args: list[str]) -> int:
    options = parse(args)
    ctx = _context(options.quick)
    meta = {"command": shlex.join(["./fake", "bench", *args]), "quick": options.quick,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "image": ctx.image,
            "machine": machine.describe(ctx.client), "load_before": machine.load(ctx.client)}
    figures = run(ctx, options.only or GROUPS)
    meta |= {"run": ctx.run_id, "seconds": round(time.monotonic() - ctx.started, 1),
             "load_after": machine.load(ctx.client), "leftovers": ctx.stuck}
    meta["cpu_over_run"] = machine.cpu_since(meta["load_before"]["cpu"], meta["load_after"]["cpu"])
    _report(figures, meta, options.json, options.markdown)
    return 1 if any(f.skipped.startswith("failed") for f in figures) else 0


def _context(quick: bool) -> Context:
    """The engine, the node image (built first if needed, not timed) and a progress printer. The node
    code's host copy for that image (code_mounts: ~1-3 s, once per image id) is taken here too, as the
    build is: the first `up` of a new image took it inside its timed round (2.66 s against 1.1-1.3)."""
    from fakenet import code_mounts
    from fakenet.image import ensure_image

    client, started = _engine(), time.monotonic()
    image = ensure_image(progress=lambda line: print(f"build| {line}", file=sys.stderr, flush=True), client=client)
    code_mounts.for_image(client, image)

    def progress(line: str) -> None:
        print(f"bench| {time.monotonic() - started:5.0f}s {line}", file=sys.stderr, flush=True)

    return Context(QUICK if quick else FULL, client, image, progress=progress, started=started)


def _report(figures: list, meta: dict, path: Path | None, markdown: Path | None = None) -> None:
    from rich.console import Console

    console = Console(width=200)
    console.print(report.table(figures, title=_title(meta)))
    console.print(report.LEGEND, markup=False, highlight=False)
    for name, why in meta["leftovers"].items():
        print(f"fake bench: the engine kept {name} ({why}); `fake prune` removes it once it lets go", file=sys.stderr)
    if path:
        report.write_json(path, report.document(figures, **meta))
        print(f"wrote {path}", file=sys.stderr)
    if markdown:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(f"{_title(meta)}\n\n{report.markdown(figures)}\n{report.LEGEND}\n")
        print(f"wrote {markdown}", file=sys.stderr)


def _title(meta: dict) -> str:
    m, before, after = meta["machine"], meta["load_before"], meta["load_after"]
    return (f"fakenet bench{' --quick' if meta['quick'] else ''}: {meta['seconds']:.0f} s on {m['nproc']} cores"
            f"{' of ' + m['cpu_model'] if m.get('cpu_model') else ''}, "
            f"{m['memory_gib']} GiB, Docker {m['docker_server']} ({m['storage_driver']}), kernel {m['kernel']}; "
            f"load {before['loadavg'][0]} → {after['loadavg'][0]}, "
            f"{before['node_processes']} node processes and {before['containers_running']} containers running before"
            f"{_speed(before, after, meta.get('cpu_over_run', {}))}")


def _speed(before: dict, after: dict, cpu: dict) -> str:
    """How fast the machine was (the reference work's CPU before and after: lower is faster) and how
    much of it the hypervisor gave away during the run: every figure depends on both."""
    text = ""
    if "reference_cpu_s" in before and "reference_cpu_s" in after:
        text += (f"; reference work {before['reference_cpu_s']:.3f} s → {after['reference_cpu_s']:.3f} s of CPU "
                 f"(machine.reference_cpu)")
    if cpu:
        text += f"; over the run {cpu['busy']:.0f} core-s busy, {cpu['idle']:.0f} idle, {cpu['steal']:.0f} stolen"
    return text
