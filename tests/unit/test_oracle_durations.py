"""The Python API's deadlines take what scenario files take: `within="10s"` was a TypeError deep in
the wait (a number compared with a string); anything that is not a duration is one ConfigError line."""

import pytest

from fakenet import durations
from fakenet.errors import ConfigError
from fakenet.harness import oracle
from fakenet.scenario import schema


@pytest.mark.parametrize("written, seconds", [(10, 10.0), (2.5, 2.5), ("10s", 10.0), ("500ms", 0.5), ("2m", 120.0),
                                              (" 3 ", 3.0)])
def test_a_deadline_is_read_as_a_scenario_file_reads_it(written, seconds):
    assert oracle._seconds(written, "within") == seconds == schema.duration(written)


@pytest.mark.parametrize("written", ["ten seconds", "-1", -1, True, None, [10]])
def test_anything_else_is_the_callers_mistake_in_one_line(written):
    with pytest.raises(ConfigError, match=r"within=.*expected a duration like 10s, 500ms or 2m"):
        oracle._seconds(written, "within")
    with pytest.raises(schema.Invalid, match="expected a duration like"):
        schema.duration(written)


def test_expect_recovered_takes_a_written_duration(monkeypatch):
    asked = []
    monkeypatch.setattr(oracle.Oracle, "expect_graph", lambda self, timeout: asked.append(timeout))
    fleet = type("Fleet", (), {"kind": type("Kind", (), {"capabilities": frozenset()})(),
                               "timeline": type("Timeline", (), {"record": lambda *a: None})()})()
    check = oracle.Oracle(fleet)
    check.expect_recovered(within="10s")
    assert asked == [10.0]
    assert durations.WANTED in str(pytest.raises(ConfigError, check.expect_recovered, within="soon").value)
