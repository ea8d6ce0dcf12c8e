"""Argument checks for scenario steps: small validators that normalise or say what they wanted."""

from __future__ import annotations

from fakenet import durations


class Invalid(Exception):
    """A value that is not what the step takes; the message says what was expected."""


def duration(value) -> float:
    """10, 10s, 500ms, 1.5m → seconds."""
    try:
        return durations.seconds(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"expected a whole number >= 0, not {value!r}")
    return value


def count_at_most(limit: int, why: str):
    """A count with an upper bound the step cannot go past; `why` says what lies beyond it."""
    def check(value) -> int:
        number = count(value)
        if number > limit:
            raise Invalid(f"expected at most {limit:,}, not {value!r}: {why}")
        return number
    return check


def probability(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise Invalid(f"expected a probability from 0 to 1, not {value!r}")
    return float(value)


def flag(value) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, not {value!r}")
    return value


def text(value) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(f"expected a non-empty string, not {value!r}")
    return value


def node(names: list[str]):
    def check(value) -> str:
        if value not in names:
            raise Invalid(f"expected one of the nodes {', '.join(names)}, not {value!r}")
        return value
    return check


def nodes(names: list[str]):
    one = node(names)

    def check(value) -> list[str]:
        if value in ("all", None):
            return list(names)
        return [one(v) for v in (value if isinstance(value, list) else [value])]
    return check


def groups(names: list[str]):
    one = node(names)

    def check(value) -> list[list[str]]:
        if isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= len(names):
            return _split(names, value)  # `partition: 2`: halves in node order, for networks too big to list
        if not isinstance(value, list) or not all(isinstance(g, list) and g for g in value):
            raise Invalid(f"expected a list of node groups like [[node, node2], [node3, node4]] or a number "
                          f"of groups (2 to {len(names)}), not {value!r}")
        seen = [one(n) for g in value for n in g]
        if len(seen) != len(set(seen)):
            raise Invalid(f"expected each node in one group only, not {value!r}")
        return [list(g) for g in value]
    return check


def _split(names: list[str], count: int) -> list[list[str]]:
    size, extra = divmod(len(names), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [list(names[bounds[i]:bounds[i + 1]]) for i in range(count)]


def pair(names: list[str]):
    one = node(names)

    def check(value) -> tuple[str, str]:
        if not isinstance(value, list) or len(value) != 2 or value[0] == value[1]:
            raise Invalid(f"expected two different nodes like [node, node2], not {value!r}")
        return one(value[0]), one(value[1])
    return check


def labels(value) -> list[str]:
    """Stream set labels (from create_streams' `as`), or "all"."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and v for v in items):
        raise Invalid(f"expected a stream label from create_streams' `as:` (or a list of them, or all), not {value!r}")
    return items


def fields(args, required: dict, optional: dict | None = None, step: str = "") -> dict:
    """Check a step's mapping of arguments: required and optional names, each validated."""
    optional = optional or {}
    if not isinstance(args, dict):
        raise Invalid(f"expected a mapping with {', '.join(required) or 'no arguments'}, not {args!r}")
    unknown = set(map(str, args)) - set(required) - set(optional)
    if unknown:
        raise Invalid(f"unknown argument(s) {', '.join(sorted(unknown))}; {step or 'this step'} takes "
                      f"{', '.join([*required, *optional]) or 'nothing'}")
    missing = [name for name in required if name not in args]
    if missing:
        raise Invalid(f"missing argument(s) {', '.join(missing)}")
    result = {}
    for name, check in {**required, **optional}.items():
        if name in args:
            try:
                result[name] = check(args[name])
            except Invalid as exc:
                raise Invalid(f"{name}: {exc}") from exc
    return result
