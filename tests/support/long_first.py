"""The suite's longest items start first (issue 28: suite time).

pytest-xdist hands items to its workers in collection order (`./fake test` two at a time), so an
item of a minute or two collected last keeps the whole run waiting while the other workers idle: in one `-n 4` run the
1,000-node sim scenario (125 s) was among the last items, with the other workers done. Moving the items
below to the front lets the short ones fill the workers around them. Measured with
`./fake test --durations=30` (each took 20 s or more at -n 4, 2026-12-06); an item missing here
is only scheduled later, never skipped.
"""

# Alternating: an item that keeps a core busy (a 1,000-node sim, schemathesis, a long stream's
# replay), then one that mostly waits on the engine or on timeouts (compose and litecoin projects,
# the bench, load timing). With all the busy ones first, both cores were saturated for the first
# two minutes (each busy item taking twice its time) and then under-used while the waiting ones ran
# side by side (CPU ledger and /proc/stat samples of one -n 4 run, 2026-12-06).
LONGEST = (
    "scenarios/large-partition-heal.yaml::large-partition-heal[sim]",  # busy: ~26 CPU s
    "tests/integration/test_timing_under_load.py::",  # waits: 30 s, under a CPU s
    "tests/integration/test_api_fuzz.py::",  # busy: two schemathesis runs, ~20 CPU s each
    "tests/integration/test_bench.py::",  # waits: containers, ~4 CPU s in 56 s
    "tests/integration/test_hosts_backend.py::",  # waits: the swarm's items, one worker in turn (~80 s: one_worker)
    "tests/integration/test_sim.py::test_isolating_one_node_of_1002",  # busy: ~40 CPU s
    "tests/integration/test_compose.py::",  # waits: compose projects
    "tests/integration/test_installed_wheel.py::",  # both: pip, a wheel, then containers
    "tests/integration/test_litecoin_kind.py::",  # waits: litecoind containers
    "tests/integration/test_long_streams.py::",  # busy: 1,101 commits replayed
    "scenarios/rolling-restart.yaml::",  # waits
    "tests/integration/test_soak.py::",  # busy: soaks and mutant soaks
    "tests/integration/test_stream_lookup.py::test_a_stream_pinned_at_one_end_of_a_64_node_line",  # busy
    "tests/integration/test_ceramic_one.py::test_responses_conform",  # busy: schemathesis
    "tests/integration/test_bundle.py::test_pytest_bundles",
    "tests/integration/test_hostile_peers.py::test_a_rogues_flood_through_a_relay",
    # The unit tests' few long ones (2-9 s each: logs of 1,000 commits) before the milliseconds below:
    # last in line, one of them ran 9 s alone at the end of a run.
    "tests/unit/test_stream_network.py::",
)


# Unit tests go last: 1,164 items of tens of milliseconds each fill the workers evenly as the run ends,
# where the scenarios, collected last, left one worker finishing a ten-second docker item alone.
LAST = "tests/unit/"


def rank(nodeid: str) -> int:
    """Where an item goes: the position of the first LONGEST prefix it has, else after them all, unit
    tests after everything."""
    if nodeid.startswith(LAST) and not nodeid.startswith(LONGEST):
        return len(LONGEST) + 1
    return next((position for position, prefix in enumerate(LONGEST) if nodeid.startswith(prefix)), len(LONGEST))


def longest_first(items: list) -> None:
    items.sort(key=lambda item: rank(item.nodeid))  # stable: the rest keep their order
