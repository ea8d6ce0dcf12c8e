"""Node processes on loopback addresses (127.A.B.x), as the local backend runs them.

Each run takes a random 127.A.B.0/24 block so parallel test workers never share an address,
and every node keeps its standard ports on its own address, as it would in a container.
`NodeProcess` runs any kind's command, or forks the node from a server that has imported it when
the kind offers that (`NodeKind.local_preloaded`; forkserver.py). Credentials go in the
environment, never on the command line (ps shows it).
"""

from __future__ import annotations

import ctypes
import os
import random
import signal
import subprocess
from pathlib import Path
from typing import Mapping

from fakenet.harness.backends import forkserver
from fakenet.kinds.base import Preloaded

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the node gets SIGKILL when the harness dies, so a killed test run (a SIGKILLed
    xdist worker) leaves no node processes behind. The signal follows the *thread* that
    started the node, so start nodes from a thread that lives as long as the network."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the processes outlive a killed harness, as any child would


def random_subnet(rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    return f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}"


def _inherited_environment() -> dict[str, str]:
    """What a node (and a fork server) takes from the harness's environment. Bytecode caches on:
    without them every node start recompiles the package (~0.5 s). The kind sets every node
    setting itself: FAKENET_* left in the caller's environment (credentials, limits) must not leak
    into a node. Unbuffered, so the log file has every line the moment it is written."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("FAKENET_")}
    return inherited | {"PYTHONUNBUFFERED": "1"}


class NodeProcess:
    """One node process: started with its own log file, killed, stopped, signalled. `process` is a
    subprocess.Popen, or a forkserver.ForkedProcess with the same calls when `preloaded` is given."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], datadir: Path,
                 preloaded: Preloaded | None = None):
        self.name, self.argv, self.env, self.datadir = name, list(argv), dict(env), datadir
        self.preloaded = preloaded
        self.log_path = datadir.parent / f"{name}.log"
        self.process: subprocess.Popen | forkserver.ForkedProcess | None = None

    def start(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = _inherited_environment()
        with open(self.log_path, "ab") as log:
            if self.preloaded is not None and forkserver.enabled():
                server = forkserver.server(self.preloaded, env, _die_with_parent)
                self.process = server.spawn(self.preloaded.main, list(self.preloaded.args), env | self.env,
                                            log.fileno())
            else:
                self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env | self.env,
                                                preexec_fn=_die_with_parent)

    def signal(self, sig: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown code runs."""
        self.signal(signal.SIGKILL)
        self._reap()

    def stop(self, timeout: float = 10) -> None:
        self.signal(signal.SIGTERM)
        self._reap(timeout)

    def _reap(self, timeout: float = 10) -> None:
        if self.process:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def logs(self, tail: int = 15) -> list[str]:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [f"{self.name}| {line}" for line in lines[-tail:]]
