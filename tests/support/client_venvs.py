"""Virtualenvs for client libraries from PyPI that cannot share an environment with fakenet.

Old clients pin old dependencies (ceramic-py: dag-cbor 0.2; ipfscluster: ipfshttpclient 0.4), and
two Ceramic clients install a package of the same name, so each client gets a venv of its own,
made once under this venv's prefix and reused by later runs; a lock makes that safe under xdist.
"""

import fcntl
import sys
from pathlib import Path

from support.bare_venv import bare_venv


def client_python(name: str, requirements: list[str]) -> Path:
    """The python of the venv `name` with `requirements` installed (installed on first use)."""
    home = Path(sys.prefix) / "client-venvs" / name
    home.parent.mkdir(exist_ok=True)
    wanted = "\n".join(requirements)
    with open(home.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = home / "installed"
        if not stamp.exists() or stamp.read_text() != wanted:
            bare_venv(home, *requirements)
            stamp.write_text(wanted)
    return home / "bin" / "python"
