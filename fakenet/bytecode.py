"""Compiled bytecode for fakenet's own modules, also where PYTHONDONTWRITEBYTECODE is set.

With PYTHONDONTWRITEBYTECODE=1 (this project's machines set it) Python compiles every module of
a checkout from source at each start and keeps nothing: a node process then compiles its ~130
modules every time, +465 M instructions, more than half of what its start needs otherwise
(BENCHMARKS.md); the `fake` command its own hundred. compileall writes the __pycache__ files pip
writes at install (git ignores them), only those missing or stale: checking the whole package
when nothing changed costs ~37 M instructions (~10 ms). Where Python writes bytecode itself, or
the package is not writable (an installed wheel, which pip compiled), nothing is done.
"""

from __future__ import annotations

import compileall
import sys
from pathlib import Path

import fakenet

PACKAGE = Path(fakenet.__file__).resolve().parent


def ensure(package: Path = PACKAGE) -> None:
    """Compile what is missing or stale under `package` (and fakenet/__init__.py, which every
    fakenet import runs), unless Python writes bytecode on import anyway."""
    if not sys.dont_write_bytecode:
        return
    compileall.compile_file(PACKAGE / "__init__.py", quiet=2)
    compileall.compile_dir(package, quiet=2)


def ensure_node() -> None:
    """What a node process imports: fakenet/__init__.py and the node package."""
    ensure(PACKAGE / "node")
