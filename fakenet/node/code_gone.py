"""A node whose own code is taken away while it runs ends at once, in one line that names what is gone.

In a container the node reads its venv and the standard library from read-only binds of one copy on
the host (fakenet/code_mounts.py). Removed there while the node runs (the state directory's `code/`
deleted by hand, or by an older `fake prune`), everything it had imported goes on working, but every
module it imports later — the stream layer after it meshes, the HTTP apps on a client's first
request, a standard module a rare path uses — is not found: a ModuleNotFoundError and its
traceback at every request, or a node stopping with a traceback, with nothing saying why.

A finder placed last on sys.meta_path is asked only for a module no other finder found, so it
costs nothing while imports succeed. Asked, it looks whether the code's folders still hold their
files; if one does not, the node logs `code_gone` with that folder and exits with EXIT_CODE (no
cleanup: closing would need modules it no longer has). Otherwise it finds nothing, and the import
fails as it always would (an optional module that is not installed).
"""

from __future__ import annotations

import os
import sys

EXIT_CODE = 74  # sysexits' EX_IOERR: a file the process needs could not be read
HINT = "the node's code was removed from under it (its host copy in the state directory's code/): start the node again"


def roots() -> list[tuple[str, str]]:
    """(folder, a file that must be in it) for the node's own package and the standard library."""
    return [(os.path.dirname(os.path.abspath(__file__)), "__init__.py"), (os.path.dirname(os.__file__), "os.py")]


def missing(folders: list[tuple[str, str]]) -> str | None:
    """The first folder whose file is gone, else None."""
    return next((folder for folder, marker in folders if not os.path.exists(os.path.join(folder, marker))), None)


class CodeGone:
    """The meta path finder (only find_spec: importlib.abc would be an import of its own)."""

    def __init__(self, log, folders: list[tuple[str, str]]):
        self.log, self.folders = log, folders

    def find_spec(self, fullname, path=None, target=None):
        folder = missing(self.folders)
        if folder is not None:
            self.log.error("code_gone", path=folder, module=fullname, hint=HINT)
            sys.stderr.flush()
            os._exit(EXIT_CODE)  # from whichever thread imported: the process ends, not that thread
        return None


def install(log, folders: list[tuple[str, str]] | None = None) -> None:
    sys.meta_path.append(CodeGone(log, roots() if folders is None else folders))
