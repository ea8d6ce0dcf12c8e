"""`python schemathesis_main.py LAUNCHER ARGS…`: schemathesis's own launcher script, run with the
garbage collector set for a process that draws millions of short-lived objects (schemathesis_run.py).

Measured with gc.callbacks on the cluster surface: 3,346 collections took 2.3 of 19 CPU s. Collecting
the young generation every 10,000 allocations instead of 700, with what the CLI's imports made frozen
out of every pass, made it 243 collections and 1.25 s; the API surface ran in ~1.2 CPU s less
(getrusage, two runs each). What is generated does not change: the launcher is run as `__main__`, so
Hypothesis reads the same local constants from it as when the launcher is the program (its only
"local" module), and each surface generates the same requests, as many as before.
"""

import gc
import runpy
import sys
from pathlib import Path

import requests
import schemathesis.cli  # noqa: F401  (imported before the freeze: its objects are the long-lived ones)

_session_init = requests.Session.__init__


def _local_session(self, *args, **kwargs):
    """A session that reads no proxy or netrc from the environment: the node under test is local and
    --auth says what to send. requests reads them on every request otherwise (all of os.environ,
    twice, and a stat of ~/.netrc), and schemathesis makes a session per request."""
    _session_init(self, *args, **kwargs)
    self.trust_env = False


if __name__ == "__main__":
    requests.Session.__init__ = _local_session
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    sys.argv = sys.argv[1:]
    sys.path[0] = str(Path(sys.argv[0]).parent)  # as when the launcher is the program: not tests/support
    runpy.run_path(sys.argv[0], run_name="__main__")
