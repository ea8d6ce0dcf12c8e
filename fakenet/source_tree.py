"""Where the files the images and compose projects are made of live: a source checkout, or the
copy an installed wheel carries.

A checkout has pyproject.toml and compose/ beside the fakenet package. A wheel (`pip install .`)
has no checkout, so setup.py's build step copies both into the package as `fakenet/_source/`
(package data); the node package itself is the installed `fakenet/node`. Both layouts hash to the
same image: the same bytes go into it.
"""

from __future__ import annotations

from pathlib import Path

import fakenet

PACKAGE = Path(fakenet.__file__).resolve().parent
BUNDLED = "_source"  # fakenet/_source/{pyproject.toml, compose/}: what setup.py adds to a wheel


def _complete(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "compose" / "Dockerfile").is_file()


def source_root() -> Path | None:
    """The checkout this fakenet was imported from, else the installed copy of its sources, else None."""
    for root in (PACKAGE.parent, PACKAGE / BUNDLED):
        if _complete(root):
            return root
    return None


def node_package(root: Path) -> Path:
    """fakenet/node of `root`: a checkout's own, or, for an installed wheel's sources, the installed one."""
    inside = root / "fakenet" / "node"
    return inside if inside.is_dir() else PACKAGE / "node"


def compose_dir() -> Path:
    """compose/: the checkout's, or the wheel's copy (the checkout's path when there is neither, so
    errors name where the files were looked for)."""
    root = source_root()
    return (root or PACKAGE.parent) / "compose"
