"""The suite's longest items start first (issue 28: suite time).

pytest-xdist hands items to its workers in collection order (`./fake test` two at a time), so an
item of a minute or two collected last keeps the whole run waiting while the other workers idle: in one `-n 4` run the
1,000-node sim scenario (125 s) was among the last items, with the other workers done. Moving the items
below to the front lets the short ones fill the workers around them. Measured with
`./fake test --durations=30` (each took 20 s or more at -n 4, 2026-12-06); an item missing here
is only scheduled later, never skipped.
"""

LONGEST = (
    "scenarios/large-partition-heal.yaml::large-partition-heal[sim]",
    "tests/integration/test_installed_wheel.py::",
    "tests/integration/test_stream_lookup.py::test_a_stream_pinned_at_one_end_of_a_64_node_line",
    "tests/integration/test_api_fuzz.py::",
    "tests/integration/test_sim.py::test_isolating_one_node_of_1002",
    "tests/integration/test_hostile_peers.py::test_a_rogues_flood_through_a_relay",
    "scenarios/rolling-restart.yaml::",
    "tests/integration/test_timing_under_load.py::",
    "tests/integration/test_long_streams.py::",
    "tests/integration/test_bench.py::",
    "tests/integration/test_soak.py::",
    "tests/integration/test_compose.py::",
    "tests/integration/test_bundle.py::test_pytest_bundles",
    "tests/integration/test_litecoin_kind.py::",
    "tests/integration/test_ceramic_one.py::test_responses_conform",
)


# Unit tests go last: 1,164 items of tens of milliseconds each fill the workers evenly as the run ends,
# where the scenarios, collected last, left one worker finishing a ten-second docker item alone.
LAST = "tests/unit/"


def rank(nodeid: str) -> int:
    """Where an item goes: the position of the first LONGEST prefix it has, else after them all, unit
    tests after everything."""
    if nodeid.startswith(LAST):
        return len(LONGEST) + 1
    return next((position for position, prefix in enumerate(LONGEST) if nodeid.startswith(prefix)), len(LONGEST))


def longest_first(items: list) -> None:
    items.sort(key=lambda item: rank(item.nodeid))  # stable: the rest keep their order
