"""The CPU ledger's attribution of the engine's container starts to the items that made them."""

from support.cpu_ledger import starts_by_file

ROWS = [  # two workers; pid 11 ran two items in turn, pid 22 one
    {"item": "tests/integration/test_a.py::test_one", "pid": 11, "end": 110.0, "wall": 10.0},
    {"item": "tests/integration/test_b.py::test_two", "pid": 11, "end": 120.0, "wall": 10.0},
    {"item": "scenarios/x.yaml::x[docker]", "pid": 22, "end": 118.0, "wall": 18.0},
]


def event(seconds: float, owner: str = "") -> str:
    return f"{int(seconds * 1e9)} {owner}"


def test_a_start_goes_to_the_item_its_owners_pid_ran_at_that_moment():
    counts, unnamed = starts_by_file(ROWS, [event(105, "host:11:m:1"), event(115, "host:11:m:1"),
                                            event(115, "host:22:m:9"), event(116, "host:22:m:9")])
    assert counts == {"tests/integration/test_a.py": 1, "tests/integration/test_b.py": 1, "scenarios/x.yaml": 2}
    assert unnamed == 0


def test_compose_starts_and_starts_outside_every_item_are_counted_as_unnamed():
    counts, unnamed = starts_by_file(ROWS, [event(105), event(105, "ft4f25231d"), event(130, "host:11:m:1"),
                                            event(105, "host:33:m:1"), ""])
    assert counts == {}
    assert unnamed == 4
