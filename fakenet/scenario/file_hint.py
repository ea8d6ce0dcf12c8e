"""Why a scenario path names no file, said with the file the user probably meant.

`scenario run scenarios/node_crash.yaml` answered `cannot read the scenario: [Errno 2] No such file or
directory: 'scenarios/node_crash.yaml'`, the path twice and the nearest file not at all; a folder
(`scenario check scenarios/`) was `[Errno 21] Is a directory`.
"""

from __future__ import annotations

from pathlib import Path

from fakenet.suggest import closest

SUFFIXES = (".yaml", ".yml")


def unreadable(path: Path, exc: OSError) -> str:
    """One phrase for why `path` could not be read as a scenario."""
    return f"cannot read the scenario: {_why(path, exc)}"


def _why(path: Path, exc: OSError) -> str:
    if path.is_dir():
        found = _scenarios_in(path)
        return f"it is a folder (of {len(found)} scenarios: {path / '*.yaml'})" if found else "it is a folder"
    if isinstance(exc, FileNotFoundError):
        return f"no such file{_nearest(path)}"
    return exc.strerror or str(exc)


def _nearest(path: Path) -> str:
    """" (did you mean '…'?)" for the scenario file whose name is nearest, beside where `path` points or in
    ./scenarios (a name typed without its folder); names compared alone, as a shared folder is no likeness."""
    for folder in (path.parent, Path("scenarios")):
        if name := closest(path.name, [p.name for p in _scenarios_in(folder)] if folder.is_dir() else []):
            return f" (did you mean {str(folder / name)!r}?)"
    return ""


def _scenarios_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
