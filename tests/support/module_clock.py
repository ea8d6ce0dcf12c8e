"""A module's own view of the `time` module, with some functions replaced: for tests that drive one
module's clock. Patching `time.monotonic` itself (monkeypatch.setattr(module.time, "monotonic", …))
replaces it for every thread of the worker, and any other thread that reads the clock meanwhile
takes a value the test meant for its module (a soak deadline was seen to pass early that way)."""

import time
from types import SimpleNamespace


def patch_time(monkeypatch, module, **replaced) -> None:
    own = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    monkeypatch.setattr(module, "time", SimpleNamespace(**{**own, **replaced}))
