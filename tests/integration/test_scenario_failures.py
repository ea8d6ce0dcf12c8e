"""A false expectation fails with a message a new user can act on: where, what, and why."""

import json
import os
import signal
import subprocess

from fakenet import Network
from fakenet.bundle import INFRASTRUCTURE, SCENARIO, SYSTEM, Recorder, from_scenario, from_test, write
from fakenet.bundle.build import scenario_verdict
from fakenet.scenario import parse, run
from support import user_pytest

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


ACROSS_A_PARTITION = """name: available-across-a-partition
nodes: 4
steps:
  - create_streams: {on: node4, count: 1, pin: true, as: far}
  - partition: [[node, node2], [node3, node4]]
  - expect_graph: {within: 10s}
  - expect_available: {streams: far, on: node}
"""


def test_expecting_availability_across_a_partition_is_the_scenarios_fault(tmp_path):
    recorder = Recorder()
    result = run(parse(ACROSS_A_PARTITION, "across.yaml"), "local", recorder=recorder)
    assert [r.ok for r in result.results] == [True, True, True, False]
    write(from_scenario(result, recorder), tmp_path / "bundle", pack=False)
    failure = json.loads((tmp_path / "bundle" / "failure.json").read_text())
    assert failure["verdict"]["side"] == SCENARIO, failure
    (pair,) = failure["asked"]
    assert pair.endswith("@node") and failure["asked"][pair] is True and failure["predicted"][pair] is False
    assert failure["observed"][pair] is False  # the node was asked, and honestly could not load it
    page = (tmp_path / "bundle" / "index.html").read_text()
    assert page.index("Why: the scenario or test asks for") < page.index("First failure")


def test_a_node_that_drops_a_pinned_stream_is_the_system_under_tests_fault(tmp_path):
    with Network(3, backend="local", seed=5) as net:
        stream = net.streams.create("node3", {"n": 1}, pin=True)
        liar = net.runtime("node3").client  # behind the model's back: acknowledged the pin, then drops it
        liar.unpin_stream(stream)
        liar.evict(None, [stream])
        try:
            net.oracle.expect_available([stream], ["node"])
        except AssertionError as exc:
            error = exc
        else:
            raise AssertionError("the oracle did not notice a node dropping a stream it pinned")
        recorder = Recorder()
        recorder.collect(net, error)
        bundle = from_test("test_liar", net, error, started=True, recorder=recorder)
    assert bundle.verdict.side == SYSTEM, bundle.verdict
    write(bundle, tmp_path / "bundle", pack=False)
    failure = json.loads((tmp_path / "bundle" / "failure.json").read_text())
    key = f"{stream}@node"
    assert failure["predicted"][key] is True and failure["observed"][key] is False


def test_a_false_cache_expectation_through_pytest_shows_the_line_and_the_numbers(tmp_path):
    """A user's plain `pytest` on a scenario folder: the plugin comes from fakenet's pytest11 entry point
    (without it nothing is collected and pytest exits 5, not 1)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "wrong-cache.yaml").write_text(
        "name: wrong-cache\nnodes: 2\nbackends: [local]\nsteps:\n"
        "  - create_streams: {on: node, count: 3}\n  - expect_cache: {on: node, size: 2}\n")
    done = subprocess.run(user_pytest.command(str(folder), "-q"),
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "wrong-cache.yaml:6: step `expect_cache: {on: node, size: 2}` failed:" in done.stdout
    assert "node's cache holds 3 streams, as the model predicts; the scenario expects 2" in done.stdout


def test_a_cache_size_the_model_does_not_predict_is_the_scenarios_fault_not_the_nodes():
    """The node holds what the model predicts (0 streams at node2); the scenario asks for 7."""
    scenario = parse("name: x\nnodes: 4\nsteps:\n  - create_streams: {on: node, count: 2, as: a}\n"
                     "  - expect_cache: {on: node2, size: 7}\n", "x.yaml")
    result = run(scenario, "sim")
    from fakenet.bundle.build import scenario_verdict

    assert not result.ok and "as the model predicts" in result.failure, result.failure
    assert scenario_verdict(result).side == SCENARIO


def test_a_node_count_the_scenarios_edges_cannot_have_is_the_scenarios_fault():
    from fakenet.bundle.build import scenario_verdict

    scenario = parse("name: edges\nnodes: 3\ntopology: {edges: [[node, node2], [node2, node3]]}\nsteps: [heal]\n",
                     "edges.yaml")
    result = run(scenario, "local", nodes=5)
    assert not result.ok and "cannot run with 5" in result.setup_error
    verdict = scenario_verdict(result)
    assert verdict.side == SCENARIO and verdict.where == "start-up", verdict


def test_a_mistyped_stream_set_is_caught_when_the_file_loads():
    from fakenet.scenario import ScenarioError
    import pytest

    with pytest.raises(ScenarioError, match="no stream set named 'lonley' before this step \\(did you mean 'lonely'\\?\\)"):
        parse("name: typo\nsteps:\n  - create_streams: {on: node, count: 1, as: lonely}\n"
              "  - expect_available: {streams: lonley}\n", "typo.yaml")


KILLED_BEHIND_THE_RUNS_BACK = """name: killed-by-someone-else
nodes: 3
steps:
  - heal
  - expect_graph: {within: 2s}
"""


def _signal_node3_before_step_2(sig):
    """An on_step callback: before step 2, someone other than the harness signals node3's process."""
    def on_step(index, step, outcome, net):
        if index == 1 and outcome is None:
            process = net.runtime("node3").process.process
            os.kill(process.pid, sig)
            process.wait(10)
    return on_step


def test_a_node_killed_by_someone_else_mid_run_is_the_infrastructures_fault_and_says_so():
    """It was "the system under test failed: … chains did not converge: no node answered" (or the
    infrastructure's, when the kill landed in a restart: the same fault, two verdicts)."""
    result = run(parse(KILLED_BEHIND_THE_RUNS_BACK, "killed.yaml"), "local",
                 on_step=_signal_node3_before_step_2(signal.SIGKILL))
    verdict = scenario_verdict(result)
    assert verdict.side == INFRASTRUCTURE, verdict
    assert "node3 was killed by SIGKILL from outside the run" in result.failure, result.failure
    assert "then: ExpectationFailed" in result.failure


def test_a_node_that_crashed_by_itself_mid_run_is_the_system_under_tests_fault():
    result = run(parse(KILLED_BEHIND_THE_RUNS_BACK, "crashed.yaml"), "local",
                 on_step=_signal_node3_before_step_2(signal.SIGABRT))
    verdict = scenario_verdict(result)
    assert verdict.side == SYSTEM, verdict
    assert "node3 was killed by SIGABRT by itself" in result.failure, result.failure


def test_a_pytest_item_whose_node_someone_else_killed_is_the_infrastructures_fault():
    """The fixture's bundle (from_test) asks the same question as a scenario run: who ended the node."""
    with Network(3, backend="local", seed=5) as net:
        process = net.runtime("node3").process.process
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        try:
            net.oracle.expect_graph(timeout=1)
        except AssertionError as exc:
            error = exc
        else:
            raise AssertionError("the oracle did not notice node3 was gone")
        bundle = from_test("test_killed", net, error, started=True, recorder=Recorder())
    assert bundle.verdict.side == INFRASTRUCTURE, bundle.verdict
    assert "node3 was killed by SIGKILL from outside the run" in bundle.verdict.error
