"""support/client_driver.py: one served driver process answers calls, errors and hangs as a process per call did."""

import sys

import pytest

from support.client_driver import Driver, DriverError

SCRIPT = '''
import os, time
def call(action, *args):
    if action == "echo":
        print("chatter from the library")  # must not be read as the answer
        return [os.getpid(), list(args)]
    if action == "fail":
        raise ValueError("the library refused")
    if action == "hang":
        time.sleep(60)
'''


@pytest.fixture
def served(tmp_path):
    script = tmp_path / "drive.py"
    script.write_text(SCRIPT)
    driver = Driver(sys.executable, script, {"PATH": ""})
    yield driver
    driver.close()


def test_calls_are_answered_by_one_process_and_library_output_is_not_an_answer(served):
    first_pid, args = served.call("echo", "a", "[1]")
    assert args == ["a", "[1]"]
    assert served.call("echo")[0] == first_pid


def test_an_error_carries_its_traceback_and_the_next_call_is_served(served):
    with pytest.raises(DriverError, match="the library refused"):
        served.call("fail")
    assert served.call("echo", "x")[1] == ["x"]


def test_a_call_past_its_timeout_kills_the_process_and_the_next_starts_another(served):
    first_pid = served.call("echo")[0]
    with pytest.raises(DriverError, match="no answer within 0.5 s"):
        served.call("hang", timeout=0.5)
    assert served.call("echo")[0] != first_pid
