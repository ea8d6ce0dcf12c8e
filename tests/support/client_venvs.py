"""Virtualenvs for client libraries from PyPI that cannot share an environment with fakenet.

Old clients pin old dependencies (ceramic-py: dag-cbor 0.2; ipfscluster: ipfshttpclient 0.4), and
two Ceramic clients install a package of the same name, so each client gets a venv of its own,
made once and reused by later runs; a lock makes that safe under xdist.

They live in the user's cache (~/.cache/fakenet/client-venvs), not in the checkout's .venv: each
holds exactly pinned PyPI packages over this interpreter, nothing of the checkout, so a new clone
(every CI run) can use the venvs an earlier one made, as it uses pip's cache, instead of making
all four again (~6 CPU s and up to 20 s of pip each). The folder's name carries a hash of the
requirements and the interpreter, so a change of either makes a new venv; `rm -rf` that folder
is always safe.
"""

import fcntl
import hashlib
import sys
from pathlib import Path

from fakenet.state import user_cache
from support.bare_venv import bare_venv


def client_python(name: str, requirements: list[str]) -> Path:
    """The python of the venv `name` with `requirements` installed (installed on first use)."""
    wanted = "\n".join([*requirements, sys.version, sys.base_prefix])
    home = user_cache() / "fakenet" / "client-venvs" / f"{name}-{hashlib.sha256(wanted.encode()).hexdigest()[:12]}"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = home / "installed"
        python = home / "bin" / "python"
        if not stamp.exists() or stamp.read_text() != wanted or not python.exists():
            bare_venv(home, *requirements)
            stamp.write_text(wanted)
    return python
