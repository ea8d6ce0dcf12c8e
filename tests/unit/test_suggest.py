""""Did you mean …?": the fewest edits wins, a swap of neighbouring letters being one edit."""

import pytest

from fakenet.suggest import _edits, closest, did_you_mean

VERBS = ["up", "down", "status", "stats", "logs", "exec", "scenario", "bench", "graph", "dump", "ps"]


@pytest.mark.parametrize("typed, meant", [("stauts", "status"), ("staus", "status"), ("stast", "stats"),
                                          ("upp", "up"), ("lgos", "logs"), ("scenaroi", "scenario"), ("dwon", "down")])
def test_the_verb_meant_is_offered(typed, meant):
    assert closest(typed, VERBS) == meant
    assert did_you_mean(typed, VERBS) == f" (did you mean {meant!r}?)"


def test_nothing_close_offers_nothing():
    assert closest("kubernetes", VERBS) is None and did_you_mean("zzz", VERBS) == ""


@pytest.mark.parametrize("a, b, edits", [("", "", 0), ("ab", "ba", 1), ("abc", "abc", 0), ("kitten", "sitting", 3),
                                         ("stauts", "status", 1), ("stauts", "stats", 1), ("ca", "abc", 3)])
def test_edits_count_a_neighbour_swap_as_one(a, b, edits):
    assert _edits(a, b) == edits
