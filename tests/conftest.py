"""The suite's scheduling under xdist (loaded by the controller too, which never collects)."""

from support import shared_fixtures


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (`./fake test`'s default): items that share a costly module-scoped fixture
    go to one worker together, every other item on its own (support/shared_fixtures.py)."""
    if config.getoption("dist") == "loadgroup":
        return shared_fixtures.make_scheduler(config, log)
    return None
