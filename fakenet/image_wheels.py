"""The host-side wheelhouse: every third-party wheel the node needs, fetched once per dep set.

Wheels are downloaded on the host for the image's platform (the base's CPython version,
manylinux for the engine's CPU), so the build installs with `--no-index` and never reaches the network, and a
macOS or ARM laptop gets the same wheels a Linux CI machine does. The directory is keyed by
the dependency list: a change to the fakenet sources never re-runs pip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

from fakenet.image_base import run_streaming

# Oldest glibc among the supported bases is bookworm's 2.36; manylinux2014 is glibc 2.17.
MAX_GLIBC_MINOR = 36
_ENGINE_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}

Progress = Callable[[str], None]


def project_requirements(pyproject: Mapping) -> list[str]:
    """The node's runtime deps plus the build backend the fakenet package is installed with."""
    return list(pyproject["project"].get("dependencies", [])) + list(pyproject["build-system"]["requires"])


def wheel_arch(engine_arch: str) -> str:
    """The manylinux CPU name for the engine's `Arch` (`amd64` → `x86_64`)."""
    return _ENGINE_ARCH.get(engine_arch, engine_arch)


def wheel_platforms(arch: str) -> list[str]:
    """Every manylinux tag the image's glibc accepts, newest first (pip does not expand them)."""
    return [f"manylinux_2_{minor}_{arch}" for minor in range(MAX_GLIBC_MINOR, 16, -1)] + [f"manylinux2014_{arch}"]


def wheelhouse_key(requirements: Sequence[str], arch: str, python: str) -> str:
    """Names a wheelhouse: same requirements, interpreter and CPU → same wheels."""
    blob = json.dumps({"requirements": list(requirements), "python": python, "arch": arch})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def download_command(requirements: Sequence[str], arch: str, python: str, dest: Path) -> list[str]:
    platforms = [arg for platform in wheel_platforms(arch) for arg in ("--platform", platform)]
    return [
        sys.executable, "-m", "pip", "download",
        "--only-binary=:all:", *platforms,
        "--python-version", python, "--implementation", "cp", "--abi", f"cp{python.replace('.', '')}",
        "--disable-pip-version-check", "--progress-bar", "off",
        "--dest", str(dest), *requirements,
    ]  # fmt: skip


def ensure_wheelhouse(cache: Path, requirements: Sequence[str], arch: str, python: str, progress: Progress) -> Path:
    """`cache/<key>/`, holding the wheels for `requirements`; downloaded only when missing.

    Filled in a scratch directory and renamed into place, so a killed run leaves no half
    wheelhouse behind; wheelhouses for older dep sets are removed.
    """
    target = cache / wheelhouse_key(requirements, arch, python)
    if target.is_dir():
        return target
    progress(f"downloading wheels for {len(requirements)} requirements (CPython {python}, {arch})")
    scratch = cache / f".{target.name}.{os.getpid()}"
    try:
        run_streaming(download_command(requirements, arch, python, scratch), progress)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _remove_other_wheelhouses(cache)
    scratch.rename(target)
    return target


def _remove_other_wheelhouses(cache: Path) -> None:
    for old in cache.iterdir():
        if old.is_dir() and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
