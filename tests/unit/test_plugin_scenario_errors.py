"""A scenario file pytest collects whose step is wrong is reported as the loader's one line (file:line, the
step, what is wrong), not as a traceback through fakenet's loader."""

pytest_plugins = ["pytester"]


def test_a_bad_scenario_is_a_collection_error_of_one_line(pytester, monkeypatch):
    monkeypatch.setenv("FAKENET_NO_PRUNE", "1")  # the inner session must not sweep the engine
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "bad.yaml").write_text(
        "name: bad\nnodes: 4\nsteps:\n  - crash: node\n  - expect_recovered: {withn: 15s}\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "--fakenet-backend", "sim", "scenarios/bad.yaml")
    assert result.ret == 2  # a collection error interrupts the session
    output = result.stdout.str()
    assert "bad.yaml:5 (step expect_recovered): unknown argument(s) withn; this step takes within" in output
    assert "loader.py" not in output and "raise ScenarioError" not in output
