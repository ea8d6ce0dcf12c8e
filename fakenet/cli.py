"""The `fake` command.

    fake test [PYTEST ARGS…]     run the test suite (unit, local-process and docker tests) in parallel
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fakenet.errors import FakenetError

REPO = Path(__file__).resolve().parent.parent


def cmd_test(args: list[str]) -> int:
    """Run the whole suite with pytest-xdist: `fake test [-k EXPR] [-n N] …`."""
    workers = [] if any(a.startswith("-n") for a in args) else ["-n", os.environ.get("FAKENET_TEST_WORKERS", "2")]
    return subprocess.call([sys.executable, "-m", "pytest", *workers, *args], cwd=REPO)


COMMANDS = {"test": cmd_test}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__.strip())
        return 0
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"fake: unknown command {argv[0]!r}\n\n{__doc__.strip()}", file=sys.stderr)
        return 2
    try:
        return command(argv[1:])
    except FakenetError as exc:
        print(f"fake: {exc}", file=sys.stderr)
        return 1
