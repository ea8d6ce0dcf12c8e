"""Where nodes run: `local` (processes on 127.A.B.x), `docker` (containers on their own network),
`sim` (nodes as objects in this process, on virtual time) or `hosts` (the docker backend's containers
over several engines, on one swarm overlay)."""

from __future__ import annotations

import inspect
from importlib import import_module

from fakenet.errors import ConfigError
from fakenet.harness.backends.base import Backend, LinkRules, NodeRuntime, NodeSpec

CLASSES = {"local": "fakenet.harness.backends.local:LocalBackend",
           "docker": "fakenet.harness.backends.docker:DockerBackend",
           "sim": "fakenet.harness.backends.sim:SimBackend",
           "hosts": "fakenet.harness.backends.hosts:HostsBackend"}
NAMES = tuple(CLASSES)
# What a scenario runs on unless it lists its backends: hosts needs engines a user has added.
DEFAULT = ("local", "docker", "sim")


def create(name: str, kind, seed: int = 0, **options) -> Backend:
    """A backend by name for nodes of `kind` (a NodeKind); unknown options are errors, not ignored.
    `seed` (the network's) reaches backends that draw from it (sim: every RNG of the run)."""
    if name not in CLASSES:
        raise ConfigError(f"unknown backend {name!r}: use {', '.join(NAMES)}")
    module, _, attr = CLASSES[name].partition(":")
    cls = getattr(import_module(module), attr)
    accepted = [p for p in inspect.signature(cls).parameters if p != "kind"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(unknown)} for the {name} backend (it takes "
                          f"{', '.join(accepted)}; node settings go in settings={{…}})")
    return cls(kind, **options, **({"seed": seed} if "seed" in accepted else {}))


__all__ = ["DEFAULT", "NAMES", "Backend", "LinkRules", "NodeRuntime", "NodeSpec", "create"]
