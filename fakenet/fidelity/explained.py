"""Why fakenet differs from Litecoin Core where it does on purpose: case name → (pattern, reason).

A difference counts as explained when its text contains a listed pattern ("*" matches any
case). Everything not listed here is a bug in the node (or a row for this table).
"""

from __future__ import annotations

EXPLAINED: dict[str, list[tuple[str, str]]] = {}


def explain(case: str, difference: str) -> str | None:
    for name in (case, "*"):
        for pattern, reason in EXPLAINED.get(name, ()):
            if pattern in difference:
                return reason
    return None
