"""A state dir that cannot be used (FAKENET_STATE_DIR under a file, on a read-only disk) is said as such:
which directory, what it is for, and how to point elsewhere, an infrastructure verdict, not a bare errno."""

import pytest

from fakenet.bundle import INFRASTRUCTURE, decide
from fakenet.errors import FakenetError
from fakenet.image_base import build_lock


def test_an_unusable_state_dir_names_itself_and_the_variable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(FakenetError) as caught:
        with build_lock(blocker / "state", "node"):
            pass
    message = str(caught.value)
    assert str(blocker / "state") in message and "FAKENET_STATE_DIR" in message, message
    assert decide(caught.value, started=False).side == INFRASTRUCTURE
