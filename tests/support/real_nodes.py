"""Tests against a real node need it installed: skipped on a developer's machine without it, a
failure under CI (which installs it: .ci/run), so a missing install never passes as green."""

import os

import pytest

from fakenet.fidelity import litecoind


def require_litecoind() -> None:
    if litecoind.available():
        return
    message = f"litecoind is not installed ({litecoind.DAEMON}): apt-get install litecoind"
    if os.environ.get("CI"):
        pytest.fail(f"CI must test against Litecoin Core: {message}")
    pytest.skip(message)
