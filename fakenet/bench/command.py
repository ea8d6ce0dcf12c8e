"""Measure fakenet's speed and footprint, each figure the median of several runs with min and max.

usage: fake bench [--quick] [--json FILE] [--only GROUP]…

Groups: image, start-up, footprint, recovery, streams, scenario suite. Start-up figures stand
beside bare containers of the same image (the engine's limit) as a ratio. --quick fits in
five minutes on two cores by measuring less; what it leaves out says why in the table.
The full run takes about 45 minutes there. See BENCHMARKS.md for a run and what bounds each figure.
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
    from rich.console import Console

    from fakenet.image import ensure_image

    options = parse(args)
    out, err = Console(width=200), Console(stderr=True, style="dim", width=200)
    client = _engine()
    image = ensure_image(progress=lambda line: err.print(f"build| {line}", markup=False, highlight=False))
    ctx = Context(QUICK if options.quick else FULL, client, image,
                  progress=lambda line: err.print(f"bench| {line}", markup=False, highlight=False))
    meta = {"command": shlex.join(["./fake", "bench", *args]), "quick": options.quick,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "image": image,
            "machine": machine.describe(client), "load_before": machine.load()}
    started = time.monotonic()
    figures = run(ctx, options.only or GROUPS)
    meta |= {"seconds": round(time.monotonic() - started, 1), "load_after": machine.load()}
    out.print(report.table(figures, title=_title(meta)))
    if options.json:
        report.write_json(options.json, report.document(figures, **meta))
        err.print(f"wrote {options.json}")
    return 1 if any(f.key.endswith(".failed") for f in figures) else 0


def _title(meta: dict) -> str:
    m = meta["machine"]
    return (f"fakenet bench{' --quick' if meta['quick'] else ''}: {meta['seconds']:.0f} s on {m['nproc']} cores, "
            f"{m['memory_gib']} GiB, Docker {m['docker_server']} ({m['storage_driver']}), kernel {m['kernel']}; "
            f"load {meta['load_before']['loadavg'][0]} → {meta['load_after']['loadavg'][0]}, "
            f"{meta['load_before']['node_processes']} node processes running before")
