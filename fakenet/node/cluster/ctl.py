"""`cli clusterpin …`: the cluster pinset from the command line (ipfs-cluster-ctl's pin/status/recover).

Each subcommand is one JSON-RPC call; its docstring is its help text. Output is the RPC's JSON.
"""

from __future__ import annotations

import argparse
from typing import Callable

Call = Callable[[str, list[str]], int]  # (method, ["key=value", …]) -> exit code, printing the result
REQUIRED, OPTIONAL, NONE = None, "?", "none"  # how a subcommand takes a stream id (argparse nargs)


def add(args, call: Call) -> int:
    """Add a stream to the cluster pinset: pinned on rmax peers, at least rmin live (default: every peer)."""
    named = [f"{key}={value}" for key, value in (("rmin", args.rmin), ("rmax", args.rmax), ("name", args.name))
             if value is not None]
    return call("clusterpinadd", [f"streamid={args.streamid}", *named])


def rm(args, call: Call) -> int:
    """Remove a stream from the cluster pinset; the peers that pinned it for the cluster unpin it."""
    return call("clusterpinrm", [f"streamid={args.streamid}"])


def ls(args, call: Call) -> int:
    """List the cluster pinset (or one item) with each item's current allocations."""
    return call("clusterpinls", [f"streamid={args.streamid}"] if args.streamid else [])


def status(args, call: Call) -> int:
    """Every peer's status of each item (or one): pinned, pinning, pin_error, unpinned, remote, cluster_error."""
    return call("clusterpinstatus", [f"streamid={args.streamid}"] if args.streamid else [])


def recover(args, call: Call) -> int:
    """Retry failed pins now on every peer, of one item or of all."""
    return call("clusterrecover", [f"streamid={args.streamid}"] if args.streamid else [])


def peers(_args, call: Call) -> int:
    """List the cluster peers this node hears from, live or down."""
    return call("clusterpeers", [])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cli clusterpin", description=__doc__.splitlines()[0])
    commands = p.add_subparsers(dest="command", required=True)
    for function, streamid in ((add, REQUIRED), (rm, REQUIRED), (ls, OPTIONAL), (status, OPTIONAL),
                               (recover, OPTIONAL), (peers, NONE)):
        sub = commands.add_parser(function.__name__, help=function.__doc__, description=function.__doc__)
        sub.set_defaults(run=function)
        if streamid is not NONE:
            sub.add_argument("streamid", nargs=streamid, help="stream id (base36 k…)")
    add_parser = commands.choices["add"]
    add_parser.add_argument("--rmin", type=int, help="fewest live peers to hold it (-1 with --rmax -1: every peer)")
    add_parser.add_argument("--rmax", type=int, help="peers to hold it (default: --rmin, or every peer)")
    add_parser.add_argument("--name", help="a name shown by ls and status")
    return p


def main(argv: list[str], call: Call) -> int:
    args = parser().parse_args(argv)
    return args.run(args, call)
