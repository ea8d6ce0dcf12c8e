"""Where fakenet keeps what outlives a run on this machine: the hosts file, the swarm and image
build locks, compose overrides, the wheelhouse images install from.

`FAKENET_STATE_DIR` names the directory; by default it is the checkout's `.cache/` (where `./fake`
has always kept it), or ~/.cache/fakenet for a fakenet installed from a wheel. Read at each use, so a test or a second checkout can point it elsewhere.

Locks that guard an engine (its swarm membership) are not a checkout's: every checkout, venv and
installed copy driving that engine from this machine must take the same one, so they live in the
user's lock directory (`FAKENET_LOCK_DIR`, default ~/.cache/fakenet/locks), one file per engine ID.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """$FAKENET_STATE_DIR, else the checkout's .cache/, else (an installed wheel: never inside
    site-packages) the user's cache directory."""
    if os.environ.get("FAKENET_STATE_DIR"):
        return Path(os.environ["FAKENET_STATE_DIR"])
    return CHECKOUT / ".cache" if (CHECKOUT / "pyproject.toml").is_file() else user_cache() / "fakenet"


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def state_path(*parts: str) -> Path:
    """A file or directory under the state directory (not created)."""
    return state_dir().joinpath(*parts)


def lock_dir() -> Path:
    return Path(os.environ.get("FAKENET_LOCK_DIR") or user_cache() / "fakenet" / "locks")


def engine_lock_path(purpose: str, engine_id: str) -> Path:
    """The lock file of one engine (by its ID, as `docker info` reports it) for one purpose."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in engine_id) or "unknown"
    return lock_dir() / f"{purpose}-{safe}.lock"
