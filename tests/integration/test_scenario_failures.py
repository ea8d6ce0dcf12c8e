"""A false expectation fails with a message a new user can act on: where, what, and why."""

import subprocess
import sys

from fakenet.scenario import parse, run

FALSE_AVAILABILITY = """name: wrong-about-availability
nodes: 3
steps:
  - create_streams: {on: node3, count: 1, pin: true, as: lonely}
  - crash: node3
  - expect_available: {streams: lonely, on: node}
"""


def test_a_false_availability_expectation_names_the_step_holders_and_prediction():
    result = run(parse(FALSE_AVAILABILITY, "wrong.yaml"), "local")
    assert not result.ok
    message = result.failure
    assert message.startswith("wrong.yaml:6: step `expect_available: {streams: lonely, on: node}` failed:")
    assert "the model does not predict available" in message and "holders" in message and "'node3'" in message
    assert [r.ok for r in result.results] == [True, True, False]


def test_a_false_cache_expectation_through_pytest_shows_the_line_and_the_numbers(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "wrong-cache.yaml").write_text(
        "name: wrong-cache\nnodes: 2\nbackends: [local]\nsteps:\n"
        "  - create_streams: {on: node, count: 3}\n  - expect_cache: {on: node, size: 2}\n")
    done = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "wrong-cache.yaml:6: step `expect_cache: {on: node, size: 2}` failed:" in done.stdout
    assert "node's cache holds 3 streams, expected 2" in done.stdout
