"""Node kinds by name: fakenet's own, and third parties' from the entry-point group `fakenet.kinds`.

A third-party package registers its kind in its pyproject.toml:

    [project.entry-points."fakenet.kinds"]
    mynode = "mypackage.kind:MyNodeKind"

and `Network(4, kind="mynode")`, `./fake scenario run F --kind mynode` and
`@pytest.mark.fakenet(kind="mynode")` find it. The entry point names a NodeKind subclass.
"""

from __future__ import annotations

from importlib import import_module

from fakenet.errors import ConfigError
from fakenet.kinds.base import (CAPABILITIES, CHAIN, CLUSTER, IDENTITY, STREAMS, IdentityClient, Launch, NodeClient, NodeKind,
                                Preloaded, Tip)

GROUP = "fakenet.kinds"
BUILTIN = {"fakenet": "fakenet.kinds.fakenet_kind:FakenetKind", "litecoin": "fakenet.kinds.litecoin:LitecoinKind"}
DEFAULT = "fakenet"


def entry_points(group: str):
    """The installed distributions' entry points of `group`. importlib.metadata is imported here, not at
    import: with csv, zipfile and email it was ~16 ms of every `./fake` command's start, which asks only
    for the built-in kinds (issue 28)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def names() -> list[str]:
    """Every kind that can be asked for by name."""
    return sorted(set(BUILTIN) | {ep.name for ep in entry_points(group=GROUP)})


def get(kind: str | NodeKind | None = None) -> NodeKind:
    """A kind instance by name (or the instance itself)."""
    if isinstance(kind, NodeKind):
        return kind
    kind = kind or DEFAULT
    if kind in BUILTIN:
        module, _, attr = BUILTIN[kind].partition(":")
        return getattr(import_module(module), attr)()
    found = [ep for ep in entry_points(group=GROUP) if ep.name == kind]
    if not found:
        raise ConfigError(f"unknown node kind {kind!r}: known kinds are {', '.join(names())} "
                          f"(third-party kinds register in the {GROUP!r} entry-point group)")
    loaded = found[0].load()
    instance = loaded() if isinstance(loaded, type) else loaded
    if not isinstance(instance, NodeKind):
        raise ConfigError(f"entry point {found[0].value!r} for kind {kind!r} is not a fakenet NodeKind")
    return instance


__all__ = ["CAPABILITIES", "CHAIN", "CLUSTER", "GROUP", "IDENTITY", "STREAMS", "IdentityClient", "Launch", "NodeClient",
           "NodeKind", "Preloaded", "Tip", "get", "names"]
