"""A bug in fakenet itself, wherever in a run it raises, ends in a verdict that blames the harness: exit 1,
the error in one line, no traceback. The bug is simulated by handing fakenet's own code a function that
takes other arguments, so the TypeError is raised in fakenet's frame, as a real one would be (sim: no
processes, no engine)."""

from fakenet import cli
from fakenet.naming import natural

SCENARIO = "name: x\nnodes: 3\nsteps:\n  - crash: node3\n  - expect_graph: {within: 5s}\n"


def _run(capsys, tmp_path) -> tuple[int, str]:
    path = tmp_path / "x.yaml"
    path.write_text(SCENARIO)
    code = cli.main(["scenario", "run", str(path), "--backend", "sim"])
    out, err = capsys.readouterr()
    return code, out + err


def test_a_harness_bug_in_a_step_is_the_harnesss_fault_without_a_traceback(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("fakenet.harness.network.Network.crash", natural)  # natural(net, "node3"): TypeError
    code, text = _run(capsys, tmp_path)
    assert code == 1 and "Traceback" not in text
    assert "whose fault: the harness failed (step 1, line 4: crash: node3): TypeError" in text, text


def test_a_harness_bug_while_the_network_is_built_is_the_harnesss_fault_without_a_traceback(
        capsys, tmp_path, monkeypatch):
    """It was the CLI's exit 2 with a traceback: only a ConfigError was caught around building the network."""
    monkeypatch.setattr("fakenet.harness.network.Fleet", natural)
    code, text = _run(capsys, tmp_path)
    assert code == 1 and "Traceback" not in text, text
    assert "whose fault: the harness failed (start-up): TypeError" in text, text


def test_a_failed_run_without_a_report_says_where_its_evidence_would_be(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("fakenet.harness.network.Network.crash", natural)
    _, text = _run(capsys, tmp_path)
    lines = text.strip().splitlines()
    assert lines[-2].startswith("evidence: none kept; run the replay with --report DIR"), lines[-3:]
    assert lines[-1].startswith("replay: ")
