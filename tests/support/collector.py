"""Python's cyclic garbage collector, off while a pytest process starts and collects, then
frozen over what it loaded (issue 28: suite time).

Each xdist worker collects the whole suite: some 150,000 objects (test modules, their imports,
1,950 items) that live until the process ends. While they are made, the collector's full passes
scan all of them again and again (12 in a worker's start and collection, 0.9-1.4 CPU s by
gc.callbacks), and every full pass during the tests scans them once more. So the collector is off
until collection ends, then what exists is moved out of its reach (gc.freeze: never scanned again,
still freed by reference counting) and it runs as before over what the tests make. Measured:
`pytest --collect-only` of the suite 4.7 -> 2.7 CPU s (four alternated runs each, +2 MB resident);
a worker-sized run (the whole suite collected, 173 items run) spent 1.02 -> 0.44 CPU s in the
collector; the unit tests at -n 0, 3.4-4.2 -> 1.9-2.2. The `fake` command (fakenet/__main__.py)
and the node (fakenet/node/early.py) do the same with their imports.
"""

import gc

# Young objects between the collector's passes over what tests make; Python's default is 700. Tests
# allocate in bursts (JSON, frames, hypothesis examples) whose objects mostly die young: at 700 the
# unit tests ran ~5,700 passes (1.6 CPU s at -n 0), at 10,000 some 220 (0.8 s), for ~24 MB more resident.
YOUNG = 10_000
frozen = 0  # objects frozen at the end of collection: none until it ends (tests/unit/test_suite_collector.py)


def off() -> None:
    """At the suite's conftest import: before collection, after pytest's own start-up."""
    gc.disable()


def frozen_and_on() -> None:
    """After collection (or, in the xdist controller, after the hook that collects nothing)."""
    global frozen
    gc.freeze()
    frozen = gc.get_freeze_count()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
    gc.enable()
