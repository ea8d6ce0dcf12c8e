"""Ids as short as they can be and still tell each other apart: stream ids share a long prefix
(`kjzl6cwe1jw14…`, the multicodec and stream type), so a fixed cut names them all the same."""

from __future__ import annotations

MINIMUM = 8  # never shorter than this, so a prefix is still searchable in logs


def shortest_unique(ids, minimum: int = MINIMUM) -> dict[str, str]:
    """id -> its shortest prefix (with "…" when cut) that no other id in `ids` starts with."""
    unique = sorted(set(ids))
    short = {}
    for index, value in enumerate(unique):
        neighbours = unique[max(0, index - 1):index] + unique[index + 1:index + 2]  # sorted: only these can share more
        shared = max((_common(value, other) for other in neighbours), default=0)
        length = max(minimum, shared + 1)
        short[value] = value if length >= len(value) else value[:length] + "…"
    return short


def _common(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def cut(value: str, among) -> str:
    """`value` cut to the shortest prefix that no id of `among` shares."""
    return shortest_unique([*among, value])[value]


def mentions(text: str, value: str, minimum: int = MINIMUM) -> bool:
    """Whether `text` names `value` whole or by a prefix cut with "…" (as shortest_unique cuts it)."""
    if value in text:
        return True
    return any(f"{value[:length]}…" in text for length in range(minimum, len(value)))
