"""The command as the user runs it, for every hint that tells them what to type next.

In a checkout that is `./fake` (the bash script, which enters `python -m fakenet`, so sys.argv[0]
is fakenet/__main__.py). A pip-installed fakenet has no `./fake`: its `fake` console script is the
program (sys.argv[0] is the script), and a hint naming `./fake` named a file the user does not have.
So: the console script as `fake` where PATH finds that very script, else by the path it was run as
(`.venv/bin/fake`); anything else (`python -m fakenet`, pytest, the Python API) as `./fake` when this
package sits in a checkout beside the script and the user stands in it (elsewhere, the script's path),
`fake` when it was installed.

Read at each call, not at import: tests and the API may set sys.argv after fakenet is imported.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SCRIPT = "fake"
DEFAULT_PROJECT = "fakenet"  # the network every verb acts on without -p; hints leave -p out for it
CHECKOUT = Path(__file__).resolve().parent.parent


def command(project: str | None = None, from_checkout: bool = False) -> str:
    """`./fake`, `fake` or the console script's path, with `-p PROJECT` unless it is the default.
    `from_checkout`: for a line run from the checkout (a replay, whose paths are the checkout's)."""
    name = _program(sys.argv[0] if sys.argv else "", from_checkout)
    # -p left out only where the bare command acts on the same project: with FAKENET_PROJECT=demo set,
    # `./fake -p fakenet status` hinted `./fake up -d`, which starts demo.
    bare = os.environ.get("FAKENET_PROJECT") or DEFAULT_PROJECT
    return name if project is None or (project == DEFAULT_PROJECT == bare) else f"{name} -p {project}"


def _program(argv0: str, from_checkout: bool = False) -> str:
    if Path(argv0).name == SCRIPT:  # the console script: `python -m fakenet` has __main__.py here
        found = shutil.which(SCRIPT)
        return SCRIPT if found and _same_file(found, argv0) else argv0
    if not in_checkout():
        return SCRIPT
    return f"./{SCRIPT}" if from_checkout else _checkout_script()


def _checkout_script() -> str:
    """`./fake` where the user stands in the checkout; elsewhere its path from there (`freshuser/fake`), or
    from / where that climbs (`../fake` is as fragile as `./fake`): `/work/app$ ../fakenet/fake -p x status`
    hinted `./fake -p x up -d`, which that shell has not."""
    script = CHECKOUT / SCRIPT
    try:
        here = Path.cwd().resolve()
    except OSError:  # the folder the user stood in was removed
        return str(script)
    if here == CHECKOUT:
        return f"./{SCRIPT}"
    relative = os.path.relpath(script, here)
    return relative if not relative.startswith("..") else str(script)


def in_checkout() -> bool:
    """This package runs from a checkout, where the `./fake` script sets up .venv."""
    return (CHECKOUT / SCRIPT).is_file() and (CHECKOUT / "pyproject.toml").is_file()


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
