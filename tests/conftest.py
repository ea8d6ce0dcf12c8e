import os

import pytest


def _engine_error() -> str | None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # any failure to reach the engine means the same thing here
        return str(exc)
    return None


def pytest_collection_modifyitems(config, items):
    docker_items = [item for item in items if "docker" in item.keywords]
    if not docker_items:
        return
    error = _engine_error()
    if error is None:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs a Docker engine for the docker-marked tests: {error}")
    skip = pytest.mark.skip(reason=f"no Docker engine: {error}")
    for item in docker_items:
        item.add_marker(skip)
