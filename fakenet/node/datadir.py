"""The node's data dir: `config` (JSON with the identity), files written atomically, all private.

The dir holds the identity key, the RPC cookie and perhaps the swarm key, so it is 0700 and every
file in it 0600, whatever umask the node was started under and whatever mode an older version or
an operator left behind (an existing file keeps its mode when rewritten in place).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fakenet.node.errors import NodeConfigError
from fakenet.node import logs
from fakenet.node.identity import Identity


PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def write_atomically(path: Path, text: str) -> None:
    """Write then rename, fsynced, so a kill -9 leaves either the old file or the new one; 0600
    even when a temporary file of another mode was left behind."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def make_private(datadir: Path) -> list[str]:
    """Create the data dir 0700 and take group and other access off it and every file in it;
    returns the names whose mode changed (a file we cannot change, e.g. a read-only mount, is left)."""
    datadir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    changed = []
    for path, mode in [(datadir, PRIVATE_DIR), *((p, PRIVATE_FILE) for p in sorted(datadir.iterdir()) if p.is_file())]:
        current = path.stat().st_mode & 0o777
        if current & 0o077:
            try:
                path.chmod(current & mode)
            except OSError:
                continue
            changed.append(path.name or str(path))
    return changed


def load_or_create_identity(datadir: Path) -> Identity:
    path = datadir / "config"
    if not path.exists():
        identity = Identity.generate()
        write_atomically(path, json.dumps({"Identity": identity.to_config()}, indent=2) + "\n")
        logs.get().warning(
            "NEW_IDENTITY_CREATED", peerid=identity.peer_id, config=str(path),
            why="no config in the data dir: peers that knew this node's old key will refuse it",
        )
        return identity
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NodeConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(config, dict) or not isinstance(config.get("Identity"), dict):
        raise NodeConfigError(f"{path} has no Identity section")
    return Identity.from_config(config["Identity"])
