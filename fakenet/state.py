"""Where fakenet keeps what outlives a run on this machine: the hosts file, the swarm and image
build locks, compose overrides, the wheelhouse images install from.

`FAKENET_STATE_DIR` names the directory; by default it is the checkout's `.cache/` (where `./fake`
has always kept it). Read at each use, so a test or a second checkout can point it elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    return Path(os.environ.get("FAKENET_STATE_DIR") or CHECKOUT / ".cache")


def state_path(*parts: str) -> Path:
    """A file or directory under the state directory (not created)."""
    return state_dir().joinpath(*parts)
