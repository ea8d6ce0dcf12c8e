""""Did you mean …?" for a word a user mistyped: a verb, a step, a stream-set label, an RPC method."""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest option, or "" when none is close."""
    close = closest(word, options)
    return f" (did you mean {close!r}?)" if close is not None else ""


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to `word`, or None when none is close. Closest is the fewest edits, a swap of
    two neighbouring letters counting as one (the commonest typo: difflib alone offered `stats` for
    `stauts`); among equals, one made of the same letters, then difflib's likeness."""
    candidates = [option for option in sorted(set(options))
                  if _edits(word, option) <= 1 or difflib.SequenceMatcher(None, word, option).ratio() >= 0.6]
    if not candidates:
        return None
    return min(candidates, key=lambda option: (_edits(word, option), sorted(option) != sorted(word),
                                               -difflib.SequenceMatcher(None, word, option).ratio()))


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
