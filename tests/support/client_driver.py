"""One long-lived process per client library venv, driven over stdin/stdout (issue 28: suite time).

The client tests drive libraries from PyPI in venvs of their own (support/client_venvs.py) through a
small driver script. Run once per call, each call paid a Python start and the library's imports
(~0.2 CPU s: cryptography, multiformats, requests) for a request of a few milliseconds, ~60 times a
run. Here the driver script is served by support/client_serve.py: one JSON line in (the call's
words, as the script takes them on its command line), one JSON line out ({"result": ...} or
{"error": traceback}).
The process is per worker and per venv, and the node's URL travels with every call, so tests
share nothing but the imported library. A call that takes longer than its timeout kills the
process (the next call starts another), as subprocess.run's timeout did.
"""

from __future__ import annotations

import atexit
import json
import queue
import subprocess
import threading
from pathlib import Path

TIMEOUT = 120
SERVE = Path(__file__).with_name("client_serve.py")


class DriverError(AssertionError):
    """The driver answered with an error, or did not answer."""


class Driver:
    def __init__(self, python: Path, script: Path, env: dict[str, str]):
        self.command, self.env = [str(python), str(SERVE), str(script)], env
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []

    def call(self, *words: str, timeout: float = TIMEOUT):
        """The result of one call (words: what `drive.py WORD…` took on its command line)."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        self.process.stdin.write(json.dumps(words) + "\n")
        self.process.stdin.flush()
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise DriverError(f"{' '.join(words[:1])}: no answer within {timeout} s\n{self._stderr_tail()}") from None
        if line is None:
            raise DriverError(f"{' '.join(words[:1])}: the driver exited ({self.process.wait()})\n{self._stderr_tail()}")
        answer = json.loads(line)
        if "error" in answer:
            raise DriverError(f"{' '.join(words[:1])} failed:\n{answer['error'][-3000:]}")
        return answer["result"]

    def _start(self) -> None:
        self.lines, self.stderr = queue.Queue(), []
        self.process = subprocess.Popen(self.command, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1)
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._keep_stderr, args=(self.process.stderr, self.stderr), daemon=True).start()

    @staticmethod
    def _read(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    @staticmethod
    def _keep_stderr(stream, kept: list[str]) -> None:
        for line in stream:
            kept.append(line)
            del kept[:-200]

    def _stderr_tail(self) -> str:
        return "".join(self.stderr)[-3000:]

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


_drivers: dict[tuple, Driver] = {}


def driver(python: Path, script: Path, env: dict[str, str]) -> Driver:
    """This worker's driver process for (python, script, env), started on its first call."""
    key = (str(python), str(script), tuple(sorted(env.items())))
    if key not in _drivers:
        _drivers[key] = Driver(python, script, env)
    return _drivers[key]


@atexit.register
def _close_all() -> None:
    for each in _drivers.values():
        each.close()
