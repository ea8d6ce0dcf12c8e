"""`python schemathesis_main.py LAUNCHER ARGS…`: schemathesis's own launcher script, run with the
garbage collector set for a process that draws millions of short-lived objects (schemathesis_run.py).

Measured with gc.callbacks on the cluster surface: 3,346 collections took 2.3 of 19 CPU s. Collecting
the young generation every 10,000 allocations instead of 700, with what the CLI's imports made frozen
out of every pass, made it 243 collections and 1.25 s; the API surface ran in ~1.2 CPU s less
(getrusage, two runs each). What is generated does not change: the launcher is run as `__main__`, so
Hypothesis reads the same local constants from it as when the launcher is the program (its only
"local" module), and each surface generates the same requests, as many as before.

The collector still cost ~2.1 CPU s a cluster run at any threshold (2,000 to 100,000: the larger the
young generation, the dearer each pass), and what it frees is Hypothesis's own: closures that refer to
themselves (`recursive_property`'s `recur`, ~950,000 cells a run), built for strategies made afresh
for each example. So it stays off until the process holds HEAP_BOUND, which a default run does not
reach (~400 MB at most, against ~140 MB collected), and comes back as above once a longer run
(a larger FAKENET_FUZZ_EXAMPLES) passes it.
"""

import atexit
import gc
import os
import resource
import runpy
import sys
import threading
import time
from pathlib import Path

import requests
import schemathesis.cli  # noqa: F401  (imported before the freeze: its objects are the long-lived ones)

HEAP_BOUND = 1 << 30  # bytes resident before the collector comes back
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes there, KiB on Linux

_session_init = requests.Session.__init__


def _local_session(self, *args, **kwargs):
    """A session that reads no proxy or netrc from the environment: the node under test is local and
    --auth says what to send. requests reads them on every request otherwise (all of os.environ,
    twice, and a stat of ~/.netrc), and schemathesis makes a session per request."""
    _session_init(self, *args, **kwargs)
    self.trust_env = False


def _collect_past(bound: int) -> None:
    """Turn the collector on (young generation every 10,000 allocations) once the process has held
    `bound` bytes; a daemon thread looks once a second."""
    def watch() -> None:
        while resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT < bound:
            time.sleep(1)
        gc.set_threshold(10_000, 10, 10)
        gc.enable()

    threading.Thread(target=watch, name="collect-past-bound", daemon=True).start()


def _exit_without_teardown(code: object) -> None:
    """Leave as `sys.exit(code)` would, less the interpreter's teardown: with the collector off, the
    run's heap (~400 MB of Hypothesis's objects) is freed object by object there, ~2 CPU s of an API
    surface's ~24 (py-spy --gil: its samples with no Python frame) for memory the kernel takes back
    at once. The atexit handlers still run and the streams are flushed; the exit code is the CLI's."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status & 0xFF)


if __name__ == "__main__":
    requests.Session.__init__ = _local_session
    gc.collect()
    gc.freeze()
    gc.disable()
    _collect_past(HEAP_BOUND)
    sys.argv = sys.argv[1:]
    sys.path[0] = str(Path(sys.argv[0]).parent)  # as when the launcher is the program: not tests/support
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as leaving:
        _exit_without_teardown(leaving.code)
    _exit_without_teardown(0)
