"""The suite's scheduling under xdist (loaded by the controller too, which never collects)."""

from support import rewrite_cache, shared_fixtures


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (`./fake test`'s default): items that share a costly module-scoped fixture
    go to one worker together, every other item on its own (support/shared_fixtures.py)."""
    if config.getoption("dist") == "loadgroup":
        return shared_fixtures.make_scheduler(config, log)
    return None


def pytest_xdist_setupnodes(config, specs):
    """Before the workers start: the test modules' rewritten asserts, cached once for all of them
    (support/rewrite_cache.py)."""
    rewrite_cache.warm(config)
