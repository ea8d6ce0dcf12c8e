"""Stream sets are named by create_streams' `as:` and used by name in later steps: a name used
before any step defines it is a typo, caught when the file loads rather than half-way through a run."""

from __future__ import annotations

from fakenet.scenario.errors import ScenarioError
from fakenet.suggest import did_you_mean

ALL = "all"  # every stream the run created: always defined


def check(steps, file: str) -> None:
    """Raise ScenarioError at the first step that names a set no earlier step created."""
    defined: set[str] = set()
    for step in steps:
        for label in _used(step.args):
            if label != ALL and label not in defined:
                known = ", ".join(sorted(defined)) or "none yet"
                raise ScenarioError(f"no stream set named {label!r} before this step{did_you_mean(label, defined)} "
                                    f"(defined so far: {known}; name one with create_streams' `as:`)",
                                    file=file, line=step.line, step=step.type.name)
        if step.type.name == "create_streams":
            defined.add(step.args.get("as", "unnamed"))


def _used(args: dict) -> list[str]:
    return [label for key in ("streams", "lru") for label in args.get(key, ())]
