"""The fork server's own process (a "zygote"): imports what a kind's node needs once, then forks a
node per request. The harness side is fakenet/harness/backends/forkserver.py.

    python -m fakenet.zygote FD MODULE:PRELOAD

FD is one end of an AF_UNIX SOCK_SEQPACKET pair; every message is one JSON object, and a start
request carries the node's log file as a passed descriptor:

    harness -> server   {"main": "module:function", "args": [...], "env": {...}, "cwd": "..."} + [log fd]
    server -> harness   {"ready": pid} once, after the preload; then per request {"pid": n} or
                        {"error": "..."}; and for every fork that ends {"exited": pid,
                        "status": waitstatus, "cpu": user+system seconds}

A fork becomes the node as a fresh `python -m module` would be: its own argv, environment, working
directory and stdio (the log file), default signal handlers, a fresh `random` seed and an empty
context (a context variable set by the preload — an RNG, say — is not shared by every fork), and
the node's exit code as its own. It gets SIGKILL when the server dies, and the server gets it
when the harness thread that started it dies (the harness's PR_SET_PDEATHSIG), so a SIGKILLed
harness leaves neither behind; the server also ends when its socket closes (the harness exited),
killing the forks still running first, as their PR_SET_PDEATHSIG would.

Stdlib only, and nothing of the harness: every fork carries what this process imported.
"""

from __future__ import annotations

import contextvars
import ctypes
import gc
import importlib
import json
import os
import random
import selectors
import signal
import socket
import sys
import threading
from typing import Callable

PR_SET_PDEATHSIG = 1
MESSAGE_LIMIT = 1 << 20  # a start request: the node's environment and arguments


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: a fork outlives a killed server, as any child would


def _load(spec: str) -> Callable:
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)


def _send(sock: socket.socket, message: dict) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        pass  # the harness is gone: the loop sees the end of the socket next


class Server:
    """The loop: start requests in, forks out, every fork's end reported."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.forks: set[int] = set()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd hears of every child's end
        signal.set_wakeup_fd(self._wake_write)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C reaches the forks themselves, as it did processes

    def serve(self) -> Callable[[], object]:
        """Until the harness closes the socket; returns what the process runs then: in the server
        nothing (exit 0), in a fork the node's main."""
        selector = selectors.DefaultSelector()
        selector.register(self.sock, selectors.EVENT_READ, "request")
        selector.register(self._wake_read, selectors.EVENT_READ, "child")
        while True:
            for key, _ in selector.select():
                if key.data == "child":
                    self._reap()
                    continue
                message, fds, _, _ = socket.recv_fds(self.sock, MESSAGE_LIMIT, 4)
                if not message:
                    selector.close()
                    self._end_forks()
                    return lambda: 0
                node_main = self._start(json.loads(message), fds)
                if node_main is not None:
                    selector.close()
                    return node_main

    def _start(self, request: dict, fds: list[int]) -> Callable[[], object] | None:
        server = os.getpid()
        try:
            main = _load(request["main"])  # in the server: a bad name is the harness's error, not a fork's crash
            pid = os.fork()
        except Exception as exc:  # anything a request can get wrong is told to the harness, the server goes on
            for fd in fds:
                os.close(fd)
            _send(self.sock, {"error": f"{type(exc).__name__}: {exc}"})
            return None
        if pid == 0:
            return self._become(request, fds, main, server)
        for fd in fds:
            os.close(fd)
        self.forks.add(pid)
        _send(self.sock, {"pid": pid})
        return None

    def _become(self, request: dict, fds: list[int], main: Callable, server: int) -> Callable[[], object]:
        """In the fork: the process a fresh interpreter running the node would be."""
        _die_with_parent()
        if os.getppid() != server:  # the server died before the line above: nobody would kill this fork
            os._exit(1)
        signal.set_wakeup_fd(-1)
        for fd in (self._wake_read, self._wake_write):
            os.close(fd)
        self.sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        (log,) = fds
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [getattr(sys.modules[main.__module__], "__file__", None) or main.__module__, *request["args"]]
        random.seed()  # CPython reseeds at fork too; a node's own RNG never starts from the server's
        fresh = contextvars.Context()
        return lambda: fresh.run(main)

    def _reap(self) -> None:
        try:
            while os.read(self._wake_read, 512):
                pass
        except BlockingIOError:
            pass
        while self.forks:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.forks.discard(pid)
            _send(self.sock, {"exited": pid, "status": status, "cpu": usage.ru_utime + usage.ru_stime})

    def _end_forks(self) -> None:
        for pid in self.forks:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self.forks:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def main(argv: list[str]) -> Callable[[], object]:
    fd, preload = int(argv[0]), argv[1]
    sock = socket.socket(fileno=fd)
    _load(preload)()
    if threading.active_count() != 1:  # a fork of a threaded process may hold a lock no thread will release
        raise SystemExit(f"fakenet.zygote: {preload} started a thread; a fork server must stay single-threaded")
    gc.freeze()  # what the preload made stays out of the collector: forks share its pages instead of copying them
    _send(sock, {"ready": os.getpid()})
    return Server(sock).serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:])())
