"""compose_output: an `up`'s progress lines once each where stderr is not a terminal (Compose 5.6.1 prints
every network and volume line twice there); compose.start pipes only then."""

from __future__ import annotations

import io
import subprocess
import sys

from fakenet import compose, compose_output

# What Compose 5.6.1 printed for `up --no-start` of a one-service project, its stderr a pipe.
TWICE = b""" Network p_default Creating 
 Network p_default Creating 
 Volume p_data Creating 
 Network p_default Created 
 Volume p_data Creating 
 Network p_default Created 
 Volume p_data Created 
 Volume p_data Created 
 Container p-a-1 Creating 
 Container p-a-1 Created 
"""


def test_each_line_is_shown_once_in_the_order_compose_first_wrote_it():
    sink = io.StringIO()
    copier = compose_output.OnceEach(io.BytesIO(TWICE), sink)
    copier.join()
    assert sink.getvalue().splitlines() == [" Network p_default Creating ", " Volume p_data Creating ",
                                            " Network p_default Created ", " Volume p_data Created ",
                                            " Container p-a-1 Creating ", " Container p-a-1 Created "]


def test_errors_logs_blank_lines_and_undecodable_bytes_reach_the_user_however_often_they_repeat():
    """Only progress lines are compared: an attached `up`'s logs pass whole (two tracebacks share a line)."""
    text = (b"Error response from daemon: Pool overlaps\n\n\n\xff bad\n"
            b"node2-1  | Traceback (most recent call last):\nnode2-1  | Traceback (most recent call last):\n"
            b"Error response from daemon: Pool overlaps\n")
    sink = io.StringIO()
    copier = compose_output.OnceEach(io.BytesIO(text), sink)
    copier.join()
    assert sink.getvalue() == text.decode(errors="replace") and not copier._shown


def test_a_terminal_gets_compose_directly_and_anything_else_through_the_copier():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    closed = io.StringIO()
    closed.close()
    assert compose_output.passes_through(Terminal())
    assert not compose_output.passes_through(io.StringIO())
    assert not compose_output.passes_through(closed)


def test_an_up_whose_stderr_is_a_pipe_shows_a_real_processs_lines_once(tmp_path, monkeypatch, capfd):
    """compose.start on a real process (a shell printing compose's doubled lines on its stderr)."""
    monkeypatch.setenv("FAKENET_STATE_DIR", str(tmp_path))
    script = "import sys; sys.stderr.buffer.write(%r); sys.exit(3)" % TWICE
    monkeypatch.setattr(compose, "command", lambda project, args, kind=None: [sys.executable, "-c", script])
    running = compose.start("p", ["up", "--no-start"], kind="fakenet")
    assert running.wait() == 3
    shown = capfd.readouterr().err.splitlines()
    assert shown.count(" Network p_default Creating ") == 1 and len(shown) == 6
    other = compose.start("p", ["logs"], kind="fakenet")  # not an up: compose's stderr is ours, untouched
    assert other.output is None and other.wait() == 3
    assert capfd.readouterr().err.count(" Network p_default Creating ") == 2
    assert isinstance(other.process, subprocess.Popen)


def test_ctrl_c_waits_for_compose_to_finish_what_it_undoes_then_goes_on_unwinding():
    class Interrupted:
        """A compose process: Ctrl-C arrives during the first wait; compose then exits on its own."""
        def __init__(self):
            self.waits = 0

        def wait(self):
            self.waits += 1
            if self.waits == 1:
                raise KeyboardInterrupt
            return 130

    sink = io.StringIO()
    process = Interrupted()
    running = compose.Running(process, compose_output.OnceEach(io.BytesIO(b" Container p-a-1 Removing \n"), sink))
    try:
        running.wait()
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt was swallowed")
    assert process.waits == 2 and sink.getvalue() == " Container p-a-1 Removing \n"
