"""A fresh venv with nothing in it but what a test installs: no pip of its own, no bytecode up front.

Most of what a plain `python -m venv` plus `pip install` costs is not the packages: the venv's
own pip (ensurepip unpacks and byte-compiles it, ~3 CPU s) and pip byte-compiling every module
of every package it installs (matplotlib, numpy, cryptography…: measured 20 CPU s for fakenet's
wheel with its dependencies, 5 CPU s of it without the compiling). This venv's pip installs into
the new one instead (`pip --python`), and the interpreter compiles only the modules a test
imports, on first import, as it does for any source tree. What lands in site-packages is the same
set of distributions pip would put there, resolved from the same requirements.
"""

import subprocess
import sys
import venv
from pathlib import Path


def bare_venv(home: Path, *pip_install_args, timeout: float = 600) -> Path:
    """Make (or remake) the venv `home` and pip install `pip_install_args` into it; its python."""
    venv.create(home, clear=True, with_pip=False)
    python = home / "bin" / "python"
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
               "--disable-pip-version-check", "--no-compile", *map(str, pip_install_args)]
    done = subprocess.run(command, timeout=timeout, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
    return python
