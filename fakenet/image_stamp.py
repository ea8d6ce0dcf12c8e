"""The node image's content hash, remembered by what the file system says about its input files.

Every `./fake up` needs the image's tag, a sha256 over the ~140 files it is built from (~0.75 MB:
~11 ms of CPU before compose can start, issue 28). The hash is kept in the state directory under a
stamp: the base image's id and, for every input file and for the code that hashes them, its path,
size, inode, mtime and ctime. An edit changes the mtime and the ctime; a file replaced (a checkout,
an editor's rename) changes the inode; a tool that sets an old mtime still moves the ctime, which
only the kernel sets. One case stat cannot see: a file written again within the file system's clock
tick of being stamped, with the same size. So, as git does with its index, a stamp is only kept
when every file was last changed at least RACY seconds before: a tree being edited is hashed from
its content each time until it has been still that long.

A remembered hash names a tag; the image is never built from it (image.py hashes the content first).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Iterable

from fakenet.state import state_path

RACY = 2.0  # seconds: well over any file system's timestamp granularity
KEPT = 32  # stamps remembered (checkouts, branches and base images on this machine)


def stamp(files: Iterable[Path], base_id: str) -> tuple[str, float] | None:
    """(the stamp of these files on this base, when the last of them changed); None if one is missing."""
    digest, changed = hashlib.sha256(f"{base_id}\0".encode()), 0.0
    for path in files:
        try:
            info = os.stat(path)
        except OSError:
            return None
        digest.update(f"{path}\0{info.st_size}\0{info.st_ino}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0".encode())
        changed = max(changed, info.st_mtime, info.st_ctime)
    return digest.hexdigest(), changed


def recall(key: str) -> str | None:
    """The hash remembered under `key`, if any."""
    return _read().get(key)


def remember(key: str, changed: float, source_hash: str) -> None:
    """Keep `source_hash` under `key`, unless a file changed too recently to trust its stamp. The
    caller holds the image build lock, so no two writers race; the file is replaced whole."""
    if time.time() - changed < RACY:
        return
    known = _read()
    known.pop(key, None)
    known[key] = source_hash
    path = _path()
    partial = path.with_suffix(".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(dict(list(known.items())[-KEPT:])))
        os.replace(partial, path)
    except OSError:  # a full disk or a read-only state dir: the next `up` hashes the content again
        return


def _read() -> dict[str, str]:
    try:
        known = json.loads(_path().read_text())
    except (OSError, ValueError):  # none yet, or cut short: hash the content
        return {}
    return known if isinstance(known, dict) else {}


def _path() -> Path:
    return state_path("image-hashes.json")
