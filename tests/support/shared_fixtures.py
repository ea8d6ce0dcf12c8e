"""Items that share a module-scoped fixture run on one xdist worker (issue 28: suite time).

A module-scoped fixture (a started network, a built wheel and its venv) is made once per stretch
of its module's items on a worker. Handed out one or two at a time, a module's items land on every
worker: in one `-n 4` run test_harness's four-node networks were started three times per backend,
and the installed wheel (a copy of the tree, a wheel, a venv with every dependency) was built
twice. Here the items that share such a fixture travel together, as one unit of work: one fixture
per group. Items that use none are not grouped and go out one by one, in collection order, so the
longest still start first (support/long_first.py).

The group is the module and the parameters of its module-scoped fixtures (test_harness's network
per backend: one group each, so the backends still run side by side). Fixtures that cost nothing
to share are left out: they would tie items together for no gain.

Only a worker sees fixtures, and xdist's own `--dist loadgroup` cannot carry the groups (it renames
node ids, which pytest 9 no longer allows), so each worker writes the groups it collected to a file
named after the controller's pid, and the controller's scheduler (`--dist loadgroup`, see
tests/conftest.py) reads it once every worker has finished collecting.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

CHEAP = {"docker_client", "node_image"}  # a client and an image tag: nothing started or built


def group(item) -> str | None:
    """The group of an item, or None when it shares no costly module-scoped fixture. Items marked
    `one_worker(name)` share the engine's swarm membership (the hosts backend's tests, the stack
    export): side by side on two workers under a loaded CI machine, Docker 20.10 once timed out
    attaching a container to one run's overlay and then leaving the swarm ("context deadline
    exceeded"), which left the engine a worker of a swarm whose manager was gone."""
    pinned = item.get_closest_marker("one_worker")
    if pinned is not None:
        return f"one_worker:{pinned.args[0]}"
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    shared = sorted(name for name, defs in definitions.items()
                    if name not in CHEAP and defs and defs[-1].scope in ("module", "package"))
    if not shared:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    key = ",".join(f"{name}={params[name]}" for name in shared if name in params)
    module = item.nodeid.split("::")[0]
    return f"{module}[{key}]" if key else module


def _groups_file(controller_pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"fakenet-xdist-groups-{controller_pid}.json"


def write_groups(config, items: list) -> None:
    """On an xdist worker: write {node id: group} for the controller (every worker writes the same)."""
    if not hasattr(config, "workerinput"):
        return
    groups = {item.nodeid: name for item in items if (name := group(item)) is not None}
    target = _groups_file(os.getppid())  # the worker is the controller's child (execnet popen)
    partial = target.with_name(f"{target.name}.{os.getpid()}")
    partial.write_text(json.dumps(groups))
    partial.replace(target)


def read_groups(controller_pid: int) -> dict[str, str]:
    """On the controller: the groups its workers wrote (the file is removed), or none."""
    target = _groups_file(controller_pid)
    try:
        groups = json.loads(target.read_text())
        target.unlink()
    except (OSError, ValueError):
        return {}  # no groups: every item on its own, as with --dist load
    return groups


def make_scheduler(config, log):
    """A LoadScopeScheduling whose units are single items, except the groups above."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # asked first once every worker has collected
                self.groups = read_groups(os.getpid())
            return self.groups.get(nodeid, nodeid)

    return SharedFixtureScheduling(config, log)
