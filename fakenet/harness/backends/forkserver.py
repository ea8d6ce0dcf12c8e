"""Node processes forked from a server that has imported the node once (fakenet/zygote.py).

A fresh `python -m fakenet.node` pays the interpreter and the node's imports at every
start, before answering RPC and again after meshing (the stream layer, the HTTP apps,
jsonschema): ~0.35 CPU seconds a node, hundreds of starts a test run. A kind that offers a
pre-imported launch (`NodeKind.local_preloaded`) is started here instead: one server per
(interpreter, preload) and harness process imports it all once, and each node is a fork of it.

`ForkedProcess` is what `subprocess.Popen` is to processes.py (pid, poll, wait, send_signal,
returncode), so a backend and the tests treat both alike. The server is started from a thread of
its own that lives as long as the harness process: PR_SET_PDEATHSIG follows the thread that
forked, and a server started from a short-lived thread would die, with every node, when that
thread ended. FAKENET_FORKSERVER=0 turns it off (every node a fresh process, as before).
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Callable, Mapping

from fakenet.errors import FakenetError
from fakenet.kinds.base import Preloaded

READY_TIMEOUT = 120.0  # seconds for the server's imports, on a machine loaded by other suites
GONE_TIMEOUT = 10.0  # seconds a fork may take to die once its server has died


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("FAKENET_FORKSERVER", "1").lower() not in ("0", "false", "no", "off")


class ForkedProcess:
    """One node forked by the server: the subprocess.Popen calls processes.py and the tests make."""

    def __init__(self, server: "ForkServer"):
        self.server = server
        self.pid: int = 0
        self.returncode: int | None = None
        self.cpu = 0.0  # user+system seconds, known once it has ended
        self._ended = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"fork {self.pid}", timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        # The server reaps a fork before it reports the end, so a pid not yet reported ended can
        # only belong to this fork or, for the moment the report is on its way, to nobody.
        if self.returncode is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _end(self, returncode: int, cpu: float) -> None:
        self.returncode, self.cpu = returncode, cpu
        self._ended.set()


class _Launcher:
    """The one thread that starts every server in this process (module docstring: why)."""

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._owner = 0

    def run(self, job: Callable):
        with self._lock:
            if self._thread is None or self._owner != os.getpid():  # a forked harness has no such thread
                self._jobs, self._owner = queue.Queue(), os.getpid()
                self._thread = threading.Thread(target=self._serve, args=(self._jobs,), daemon=True,
                                                name="fakenet-forkserver-launcher")
                self._thread.start()
        done: Future = Future()
        self._jobs.put((job, done))
        return done.result()

    @staticmethod
    def _serve(jobs: queue.Queue) -> None:
        while True:
            job, done = jobs.get()
            try:
                done.set_result(job())
            except BaseException as exc:  # handed to the caller, who raises it
                done.set_exception(exc)


_launcher = _Launcher()


class ForkServer:
    """One running server: starts forks, hears of their ends, and is dead once its socket ends."""

    def __init__(self, preload: str, env: Mapping[str, str], preexec_fn: Callable[[], None]):
        self.preload = preload
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._stderr = tempfile.TemporaryFile()
        with theirs:
            self.process = _launcher.run(lambda: subprocess.Popen(
                [sys.executable, "-m", "fakenet.zygote", str(theirs.fileno()), preload],
                stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr, env=dict(env),
                pass_fds=[theirs.fileno()], preexec_fn=preexec_fn))
        self.sock = ours
        self.owner = os.getpid()  # a harness that forks must not share this socket with its child
        self.alive = True
        self.forks: dict[int, ForkedProcess] = {}
        self._replies: queue.Queue = queue.Queue()
        self._pending: list[ForkedProcess] = []
        self._spawning = threading.Lock()
        self._await_ready()
        threading.Thread(target=self._listen, name=f"fakenet-forkserver-{self.process.pid}", daemon=True).start()

    def _await_ready(self) -> None:
        ready, _, _ = select.select([self.sock], [], [], READY_TIMEOUT)
        message = self.sock.recv(4096) if ready else b""
        if not message:
            self.process.kill()
            self.process.wait()
            self._stderr.seek(0)
            raise FakenetError(f"the fork server for {self.preload} did not start "
                               f"(FAKENET_FORKSERVER=0 starts every node as a process of its own):\n"
                               f"{self._stderr.read().decode(errors='replace')[-3000:]}")

    def spawn(self, main: str, args: list[str], env: Mapping[str, str], log_fd: int) -> ForkedProcess:
        fork = ForkedProcess(self)
        request = json.dumps({"main": main, "args": list(args), "env": dict(env), "cwd": os.getcwd()}).encode()
        with self._spawning:
            self._pending.append(fork)
            try:
                socket.send_fds(self.sock, [request], [log_fd])
            except OSError as exc:
                self._pending.remove(fork)
                raise FakenetError(f"the fork server for {self.preload} has ended") from exc
            reply = self._reply()
        if "error" in reply:
            raise FakenetError(f"the fork server could not start {main}: {reply['error']}")
        return fork

    def _reply(self) -> dict:
        while True:
            try:
                return self._replies.get(timeout=1.0)
            except queue.Empty:
                if not self.alive:
                    raise FakenetError(f"the fork server for {self.preload} has ended") from None

    def _listen(self) -> None:
        """The reader: replies to the spawner, ends to the forks, in the order the server sent them
        (a fork's pid always before its end)."""
        while True:
            try:
                message = self.sock.recv(65536)
            except OSError:
                message = b""
            if not message:
                return self._died()
            reply = json.loads(message)
            if "exited" in reply:
                self.forks.pop(reply["exited"])._end(os.waitstatus_to_exitcode(reply["status"]), reply["cpu"])
                continue
            fork = self._pending.pop(0)
            if "pid" in reply:
                fork.pid = reply["pid"]
                self.forks[fork.pid] = fork
            self._replies.put(reply)

    def _died(self) -> None:
        """The server is gone (killed, or this process is ending): its forks got SIGKILL from the
        kernel; each counts as ended once it has."""
        self.alive = False  # a spawn waiting for its reply sees it within a second (_reply)
        self.process.wait()  # reaped: its CPU and its forks' now count in this process's RUSAGE_CHILDREN
        for pid, fork in list(self.forks.items()):
            _wait_gone(pid, GONE_TIMEOUT)
            fork._end(-signal.SIGKILL, 0.0)
        self.forks.clear()

    def close(self) -> None:
        """End the server and, with it, every fork still running (SIGKILL, as its PDEATHSIG would)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # close() alone would not end the reader's recv, nor tell the server
        except OSError:
            pass  # already ended
        self.process.wait()
        self.sock.close()


def _wait_gone(pid: int, timeout: float) -> None:
    try:
        descriptor = os.pidfd_open(pid)
    except (ProcessLookupError, OSError):
        return
    try:
        select.select([descriptor], [], [], timeout)
    finally:
        os.close(descriptor)


_servers: dict[tuple, ForkServer] = {}
_servers_lock = threading.Lock()
TICK = os.sysconf("SC_CLK_TCK")


def server(preloaded: Preloaded, env: Mapping[str, str], preexec_fn: Callable[[], None]) -> ForkServer:
    """This process's server for `preloaded` in the environment `env`, started on first use (or again,
    if it died). What the interpreter reads once at its start (PYTHON* variables: the path, hash
    seed, bytecode) is the server's for all its forks, so a change there starts another server."""
    key = (sys.executable, preloaded.preload, tuple(sorted((k, v) for k, v in env.items() if k.startswith("PYTHON"))))
    with _servers_lock:
        current = _servers.get(key)
        if current is None or not current.alive or current.owner != os.getpid():
            current = _servers[key] = ForkServer(preloaded.preload, env, preexec_fn)
        return current


def cpu() -> float:
    """CPU seconds of this process's running servers, their own and their ended forks': what
    RUSAGE_CHILDREN sees only once a server is reaped (a fork is its server's child, reaped
    there), and a server lives as long as the harness. tests/support/cpu_ledger.py adds it."""
    total = 0.0
    for current in list(_servers.values()):
        try:
            fields = Path(f"/proc/{current.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if current.process.returncode is None and fields[0] != "Z":
            total += sum(int(field) for field in fields[11:15]) / TICK  # utime, stime, cutime, cstime
    return total
