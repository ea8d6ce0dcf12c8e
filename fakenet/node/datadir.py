"""The node's data dir: `config` (JSON with the identity), files written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fakenet.node.errors import ConfigError
from fakenet.node import logs
from fakenet.node.identity import Identity


def write_atomically(path: Path, text: str) -> None:
    """Write then rename, fsynced, so a kill -9 leaves either the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


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
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(config, dict) or not isinstance(config.get("Identity"), dict):
        raise ConfigError(f"{path} has no Identity section")
    return Identity.from_config(config["Identity"])
