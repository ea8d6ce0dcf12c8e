"""The Docker SDK without paramiko until an ssh:// engine is asked for.

`import docker` imports its SSH transport, and with it paramiko (and invoke, and cryptography's
SSH key formats), whenever paramiko is installed, which it is for the hosts backend's ssh://
engines. That was a third of the `fake` command's CPU before it did anything (~0.07 of ~0.19
CPU seconds of imports, issue 28), paid by every `./fake up`, `ps` and `down` on a local engine.

`install()` puts a stand-in for `docker.transport.sshconn` in front of the real one: the SDK
imports `SSHHTTPAdapter` from it as before, and the first time anything uses an SSH adapter (or
any other name of the module), the real module is imported and used from then on.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types

# The loader and finder below are the import system's protocols, not subclasses of importlib.abc's: that
# module imports importlib.resources, ~5 ms of every `./fake` command's start (issue 28).

MODULE = "docker.transport.sshconn"


def _real() -> types.ModuleType:
    """The SDK's own sshconn (paramiko and all), imported on first use and kept in sys.modules."""
    module = sys.modules.get(MODULE)
    if module is not None and not getattr(module, "_fakenet_stand_in", False):
        return module
    _Finder.remove()
    sys.modules.pop(MODULE, None)
    real = importlib.import_module(MODULE)
    sys.modules[MODULE] = real
    return real


def SSHHTTPAdapter(*args, **kwargs):  # noqa: N802 - the SDK's name for it
    return _real().SSHHTTPAdapter(*args, **kwargs)


class _StandIn:
    def create_module(self, spec):
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module._fakenet_stand_in = True
        module.SSHHTTPAdapter = SSHHTTPAdapter
        module.__getattr__ = _attribute


def _attribute(name: str):
    """SSHSocket, SSHConnection, …: from the real module. Not dunders: the import system asks for
    `__path__` and the like while importing the stand-in, which must not import paramiko."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_real(), name)


class _Finder:
    def find_spec(self, fullname, path=None, target=None):
        if fullname != MODULE:
            return None
        return importlib.machinery.ModuleSpec(MODULE, _StandIn())

    @staticmethod
    def remove() -> None:
        sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _Finder)]


def install() -> None:
    """Before `import docker`; nothing to do if the SDK (or its SSH transport) is already imported."""
    if "docker" in sys.modules or any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
