""""Did you mean …?" for a word a user mistyped: a verb, a step, a stream-set label, an RPC method."""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest option, or "" when none is close."""
    close = closest(word, options)
    return f" (did you mean {close!r}?)" if close is not None else ""


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to `word`, or None when none is close."""
    close = difflib.get_close_matches(word, sorted(set(options)), n=1, cutoff=0.6)
    return close[0] if close else None
