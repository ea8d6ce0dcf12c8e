"""The suite's own pytest processes collect with the cyclic collector off and then freeze what
collection made (tests/support/collector.py): the collector still runs over what tests make."""

import gc

from support import collector


def test_what_collection_made_is_frozen_and_the_collector_is_on_for_the_tests():
    assert gc.isenabled()
    # pytest, its plugins, the test modules and their items: far more than any single import leaves.
    # Read from the hook, not gc.get_freeze_count(): a test of the node's start (early.main) freezes too.
    assert collector.frozen > 20_000, collector.frozen
    assert gc.get_threshold()[0] == collector.YOUNG
    garbage = []
    garbage.append(garbage)  # a cycle made by a test is still collected
    del garbage
    assert gc.collect() >= 1
