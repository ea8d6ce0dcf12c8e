"""Compiled bytecode for fakenet's own modules, also where PYTHONDONTWRITEBYTECODE is set.

With PYTHONDONTWRITEBYTECODE=1 (this project's machines set it) Python compiles every module of
a checkout from source at each start and keeps nothing: a node process then compiles its ~130
modules every time, +465 M instructions, more than half of what its start needs otherwise
(BENCHMARKS.md); the `fake` command its own hundred. compileall writes the __pycache__ files pip
writes at install (git ignores them), only those missing or stale: checking the whole package
when nothing changed costs ~37 M instructions (~10 ms). Where Python writes bytecode itself, or
the package is not writable (an installed wheel, which pip compiled), nothing is done.

Nor when no source changed since the last complete pass: a stamp holds the sources' count, sizes and
newest mtime, and matching it costs a stat per file (~2 ms) where compileall's import and its check of
every bytecode header cost ~11 ms of CPU on every `./fake` command (issue 28). A source it misses
(copied in with an old mtime) is still right, only compiled in memory by Python at each import.

What a timestamp .pyc cannot tell: it records its source's mtime in whole seconds and its size, so one
written within RACY of its source's mtime matches a second edit of the same size in that second (`sed -i`,
two quick edits with a `./fake` between) and Python would run the old code. As git does with its index,
such a source gets a .pyc checked by its content (CHECKED_HASH: a read and a hash of the source at each
import) instead, and the stamp says when to look again: a pass RECHECK later makes it a
timestamp .pyc like the rest.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import fakenet

PACKAGE = Path(fakenet.__file__).resolve().parent
STAMP = "fakenet-bytecode.stamp"  # in the package's __pycache__, which git ignores and `down` never touches
RACY = 2.0  # seconds between a source's mtime and its .pyc's, under which the .pyc is checked by content
# Seconds after such a pass until the next, which makes those timestamp .pyc files: not RACY, so that the
# commands run right after an edit (a test's two, on a loaded machine) do not each pay compileall's import.
RECHECK = 60.0


def ensure(package: Path = PACKAGE) -> None:
    """Compile what is missing or stale under `package` (and fakenet/__init__.py, which every
    fakenet import runs), unless Python writes bytecode on import anyway."""
    if not sys.dont_write_bytecode:
        return
    stamp, sources = package / "__pycache__" / STAMP, _sources(package)
    try:
        kept, _, recheck = stamp.read_text().partition("\n")
        if f"{kept}\n" == sources and (not recheck or time.time() < float(recheck)):  # racy .pyc: a pass once settled
            return
    except (OSError, ValueError):
        pass
    import compileall  # only when a source changed: ~5 ms of imports (py_compile, importlib.util)

    compiled = compileall.compile_file(PACKAGE / "__init__.py", quiet=2)
    if compileall.compile_dir(package, quiet=2) and compiled:  # a source that does not compile: tried again next time
        if _check_racy(compileall, package):
            sources += f"{time.time() + RECHECK}"  # a pass then makes them timestamp .pyc files
        try:
            stamp.write_text(sources)
        except OSError:  # not writable: compileall wrote nothing either
            pass


def _check_racy(compileall, package: Path) -> bool:
    """Recompile, checked by content, every source whose timestamp .pyc was written within RACY of the
    source's mtime (whoever wrote it); whether there was one."""
    import importlib.util
    import py_compile

    racy = False
    for source in dict.fromkeys([PACKAGE / "__init__.py", *_paths(package)]):  # __init__.py once
        try:
            written = os.stat(importlib.util.cache_from_source(str(source))).st_mtime
            if abs(written - os.stat(source).st_mtime) < RACY:  # a source dated ahead by more: set by hand
                racy = True
                compileall.compile_file(source, quiet=2, force=True,
                                        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        except OSError:  # removed meanwhile, or no .pyc (it did not compile): Python compiles it itself
            continue
    return racy


def ensure_node() -> None:
    """What a node process imports: fakenet/__init__.py and the node package."""
    ensure(PACKAGE / "node")


def _sources(package: Path) -> str:
    """Count, total size and newest mtime (ns) of the .py files compile_dir compiles, and of fakenet's
    __init__.py: one line, equal only where no source was added, removed or written since."""
    count, size, newest = 0, 0, 0
    for entry in _entries(package):
        found = entry.stat()
        count, size, newest = count + 1, size + found.st_size, max(newest, found.st_mtime_ns)
    init = (PACKAGE / "__init__.py").stat()
    return f"{count} {size} {newest} {init.st_size} {init.st_mtime_ns}\n"


def _paths(package: Path) -> list[Path]:
    return [Path(entry.path) for entry in _entries(package)]


def _entries(package: Path):
    """The .py files under `package`, not in __pycache__."""
    folders = [str(package)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    folders.append(entry.path)
                elif entry.name.endswith(".py") and entry.is_file():
                    yield entry
