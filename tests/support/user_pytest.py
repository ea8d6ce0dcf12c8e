"""pytest as a user of fakenet's plugin runs it in a project of their own (test_bundle,
test_scenario_failures): fakenet's plugin found through its entry point, as pip installed it, and
the other plugins of this venv's distributions (schemathesis, hypothesis, anyio, faker, xdist)
left out. Those serve no test there, and where PYTHONDONTWRITEBYTECODE is set pytest rewrites the
asserts of every module of their distributions at each start: ~1.8 of the ~3.5 CPU s such a run
took (the suite's own runs leave them out too: pyproject.toml, --disable-plugin-autoload).
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points


def command(*args: str) -> list[str]:
    """The argv of such a pytest run with `args`."""
    others = sorted({entry.name for entry in entry_points(group="pytest11")
                     if entry.value.split(".")[0] != "fakenet"})
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            *[option for name in others for option in ("-p", f"no:{name}")], *args]
