"""The `fake` command: a compose network of fakenet nodes, and the test suite.

usage: fake [-p PROJECT] COMMAND [ARGS…]

  up [-d] [--nodes N] [compose args]   build the node image if needed, start N nodes (default 4,
                                       or FAKENET_NODES), wait until all are healthy and meshed,
                                       print the status table
  status                               the status table of a running network
  down [-v]                            stop and remove the network (-v: its volumes too, so the
                                       next `up` starts at height 0 with new identities)
  prune                                remove every fakenet-labelled container, network and volume
                                       that no running network owns
  scenario run FILE [--backend local|docker] [--nodes N] [--seed S] [--report DIR] [--keep]
                                       run a scenario file with a live progress view; exit 0 or 1
  scenario check FILE…                 load scenario files and report errors, without running them
  bench [--quick] [--json FILE]        measure start-up, recovery, streams and footprint (see BENCHMARKS.md)
  graph [--png FILE]                   the observed peer graph of a running network (a PNG with --png)
  test [PYTEST ARGS…]                  run the test suite in parallel (pytest -n 2)
  ps, logs, exec, stop, start, restart, config, top, …
                                       passed through to Compose v2 on this project

PROJECT defaults to FAKENET_PROJECT or "fakenet". Errors exit 1 with one line; bugs exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback

from fakenet import compose, netstatus
from fakenet.errors import FakenetError

UP_TIMEOUT = float(os.environ.get("FAKENET_UP_TIMEOUT", 120))


def _docker():
    import docker  # imported here so `fake test` and `fake --help` work without an engine

    try:
        return docker.from_env()
    except docker.errors.DockerException as exc:
        raise FakenetError(f"cannot reach the Docker engine: {exc}") from exc


def _print_table(project: str, rows: list[netstatus.NodeStatus]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"fakenet network {project!r}", title_justify="left")
    for column in ("node", "state", "PeerID", "height", "peers", "published"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.state, row.peerid or row.error, "" if row.height is None else str(row.height),
                      "" if row.peers is None else str(row.peers), "\n".join(row.urls))
    Console(width=200).print(table)


def _pop_option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
            del args[i:i + 2]
            return value
        if arg.startswith(name + "="):
            del args[i]
            return arg.split("=", 1)[1]
    return None


def cmd_up(project: str, args: list[str]) -> int:
    """Build if needed, start, wait healthy and meshed, print the table."""
    from fakenet.image import ensure_image

    nodes = _pop_option(args, "--nodes") or os.environ.get("FAKENET_NODES")
    count = int(nodes) if nodes else compose.node_count(project)
    compose.set_node_count(project, count)
    image = ensure_image(progress=lambda line: print(f"build| {line}", file=sys.stderr))
    result = compose.run(project, ["up", *args, "--remove-orphans"], image=image)
    if result.returncode != 0 or "-d" not in args and "--detach" not in args:
        return result.returncode
    rows = netstatus.wait_meshed(_docker(), project, count, UP_TIMEOUT)
    _print_table(project, rows)
    return 0


def cmd_status(project: str, args: list[str]) -> int:
    """The table for a running network."""
    rows = netstatus.probe_all(_docker(), project)
    if not rows:
        raise FakenetError(f"no network {project!r} is running (start one with ./fake up -d)")
    _print_table(project, rows)
    return 0


def cmd_down(project: str, args: list[str]) -> int:
    """compose down, then forget the node count of this project."""
    code = compose.run(project, ["down", *args]).returncode
    if code == 0:
        compose.override_path(project).unlink(missing_ok=True)
    return code


def cmd_prune(project: str, args: list[str]) -> int:
    from fakenet.prune import prune

    from fakenet.prune import prune_images

    client = _docker()
    done = prune(client)
    for kind in ("containers", "networks", "volumes"):
        for name in getattr(done, kind):
            print(f"removed {kind[:-1]} {name}")
    images = prune_images(client)  # older node images no container uses; the newest stays
    for tag in images:
        print(f"removed image {tag}")
    if not done and not images:
        print("nothing to prune")
    return 0


def cmd_graph(project: str, args: list[str]) -> int:
    """Print the observed peer graph; with --png FILE, draw it."""
    from fakenet.harness.network import Network

    path = _pop_option(args, "--png")
    net = Network.attach(project)
    observed = net.observed_graph()
    for name in net.names:
        print(f"{name}: {' '.join(sorted(observed.neighbors(name))) if name in observed else '(down)'}")
    if path:
        net.draw(path)
        print(f"wrote {path}")
    return 0


def cmd_scenario(project: str, args: list[str]) -> int:
    """`scenario run FILE …` or `scenario check FILE…`."""
    from pathlib import Path

    from fakenet.scenario import load
    from fakenet.scenario.console import run_with_progress

    if not args or args[0] not in ("run", "check"):
        raise FakenetError("usage: fake scenario run FILE [--backend B] [--nodes N] [--seed S] [--report DIR] [--keep]")
    if args[0] == "check":
        for path in args[1:]:
            print(f"{path}: ok ({len(load(path).steps)} steps)")
        return 0
    rest = args[1:]
    backend = _pop_option(rest, "--backend") or os.environ.get("FAKENET_BACKEND", "local")
    nodes, seed, report = _pop_option(rest, "--nodes"), _pop_option(rest, "--seed"), _pop_option(rest, "--report")
    keep = "--keep" in rest
    files = [a for a in rest if a != "--keep"]
    if len(files) != 1:
        raise FakenetError("scenario run takes one scenario file")
    result = run_with_progress(load(files[0]), backend, nodes=int(nodes) if nodes else None,
                               seed=int(seed) if seed else None, report_dir=Path(report) if report else None, keep=keep)
    return 0 if result.ok else 1


def cmd_bench(project: str, args: list[str]) -> int:
    from fakenet.bench.command import main as bench_main

    return bench_main(args)


def cmd_test(project: str, args: list[str]) -> int:
    """Run the whole suite with pytest-xdist: `fake test [-k EXPR] [-n N] …`."""
    workers = [] if any(a.startswith("-n") for a in args) else ["-n", os.environ.get("FAKENET_TEST_WORKERS", "2")]
    return subprocess.call([sys.executable, "-m", "pytest", *workers, *args], cwd=compose.REPO)


def cmd_passthrough(project: str, args: list[str]) -> int:
    if args[0] == "exec" and not sys.stdin.isatty() and "-T" not in args:
        args = ["exec", "-T", *args[1:]]
    return compose.run(project, args).returncode


COMMANDS = {"up": cmd_up, "status": cmd_status, "down": cmd_down, "prune": cmd_prune, "graph": cmd_graph,
            "scenario": cmd_scenario, "bench": cmd_bench,
            "test": cmd_test}


def _split_globals(argv: list[str]) -> tuple[str, list[str]]:
    project = os.environ.get("FAKENET_PROJECT", compose.DEFAULT_PROJECT)
    args = list(argv)
    while args and args[0] in ("-p", "--project", "--project-name"):
        if len(args) < 2:
            raise FakenetError(f"{args[0]} needs a project name")
        project, args = args[1], args[2:]
    return project, args


def main(argv: list[str] | None = None) -> int:
    try:
        project, args = _split_globals(sys.argv[1:] if argv is None else argv)
        if not args or args[0] in ("-h", "--help", "help"):
            print(__doc__.strip())
            return 0
        return COMMANDS.get(args[0], cmd_passthrough)(project, args[1:] if args[0] in COMMANDS else args)
    except FakenetError as exc:
        print(f"fake: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:
        traceback.print_exc()
        return 2
