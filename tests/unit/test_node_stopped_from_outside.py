"""A local node stopped by someone else (SIGSTOP) answers nothing, as if ended: a step that fails then is
the infrastructure's, said with the node's name; one the harness paused itself is the model's to know."""

import signal
import subprocess
import sys
from types import SimpleNamespace

from fakenet.harness import ended
from fakenet.harness.backends.local import LocalRuntime
from fakenet.harness.waits import wait_for


def _runtime(process) -> LocalRuntime:
    runtime = LocalRuntime.__new__(LocalRuntime)  # no RPC client: ended() asks only the process
    runtime.name = "node2"
    runtime.process = SimpleNamespace(process=process, signal=process.send_signal)
    return runtime


def test_a_node_stopped_by_someone_else_is_said_and_one_paused_by_a_step_is_not():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        runtime = _runtime(process)
        assert runtime.ended() is None
        process.send_signal(signal.SIGSTOP)  # another shell's `kill -STOP`
        wait_for(lambda: ended.stopped(process.pid), lambda frozen: frozen, timeout=10,
                 expected="the process in the stopped state")
        frozen = runtime.ended()
        assert frozen is not None and frozen.outside and "SIGSTOP" in frozen.how, frozen
        runtime.pause()  # the harness's own pause step: not news
        assert runtime.ended() is None
        runtime.unpause()
        wait_for(lambda: ended.stopped(process.pid), lambda frozen: not frozen, timeout=10,
                 expected="the process running again")
        assert runtime.ended() is None
    finally:
        process.kill()
        process.wait()


def test_a_process_that_is_gone_is_not_stopped():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not ended.stopped(process.pid)
