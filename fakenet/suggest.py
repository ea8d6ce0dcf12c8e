""""Did you mean …?" for a word a user mistyped: a verb, a step, a stream-set label, an RPC method."""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest option, or "" when none is close."""
    close = difflib.get_close_matches(word, sorted(set(options)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
