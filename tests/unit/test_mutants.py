"""The planted model bugs (fakenet/soak/mutants.py) stay applicable and cover every prediction rule."""

from pathlib import Path

import pytest

from fakenet.soak.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]
RULES = {"graph", "holders", "lru", "pins", "availability", "links", "heal", "chain tips", "chain ties",
         "chain reorgs", "interests"}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_every_mutant_still_applies_and_changes_the_model(mutant):
    source = (ROOT / mutant.path).read_text()
    mutated = mutant.apply(source)
    assert mutated != source
    compile(mutated, mutant.path, "exec")


def test_at_least_twenty_mutants_with_unique_names_cover_every_rule():
    assert len(MUTANTS) >= 20 and len({m.name for m in MUTANTS}) == len(MUTANTS)
    assert {m.rule for m in MUTANTS} == RULES


def test_a_stale_mutant_says_what_no_longer_matches():
    stale = Mutant("stale", "graph", "x.py", (("not in the file", "x"),))
    with pytest.raises(ValueError, match="occurs 0 times in x.py"):
        stale.apply("source")
