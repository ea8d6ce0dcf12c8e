"""`cluster.json` in the data dir: the pinset, its Lamport clock and the pins made for the cluster.

Written whole on every change, atomically (temporary file, fsync, rename, fsync of the
directory), so a kill -9 at any moment leaves either the old file or the new one. The file
is small: one entry per item ever pinned in the cluster, tombstones included.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fakenet.node.errors import NodeConfigError
from fakenet.node.cluster.pinset import PinEntry, Pinset

FORMAT = 1


class ClusterStore:
    def __init__(self, path: Path):
        self.path = path

    def load(self) -> tuple[Pinset, set[str]]:
        """The saved pinset and the stream ids this node pinned for the cluster (empty when new)."""
        if not self.path.exists():
            return Pinset(), set()
        try:
            data = json.loads(self.path.read_text())
            entries = [PinEntry.from_json(item) for item in data["entries"]]
            return Pinset(entries, int(data["clock"])), {str(s) for s in data["owned"]}
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise NodeConfigError(f"cannot read the cluster pinset {self.path}: {exc!r}; move the file away to "
                              f"start this node with an empty pinset (peers will send theirs)") from exc

    def save(self, pinset: Pinset, owned: set[str]) -> None:
        data = {"format": FORMAT, "clock": pinset.clock, "owned": sorted(owned),
                "entries": [entry.to_json() for entry in pinset.entries()]}
        _write_atomically(self.path, json.dumps(data, indent=1).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must survive a crash
    finally:
        os.close(directory)
