"""`./fake`'s first run: which interpreter makes `.venv`, and a venv that could not be made is not left
half made (the next run would take its bin/python for a venv and fail on pip instead)."""

import os
import shutil
import subprocess
from pathlib import Path

FAKE = Path(__file__).resolve().parents[2] / "fake"


def _pick(env: dict) -> str:
    body = FAKE.read_text().split("pick_python() {", 1)[1].split("\n}\n", 1)[0]
    script = f"pick_python() {{{body}\n}}\npick_python"
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_fakenet_python_decides_when_set():
    assert _pick({"PATH": os.environ["PATH"], "FAKENET_PYTHON": "/opt/py/bin/python3.12"}) == "/opt/py/bin/python3.12"


def test_the_system_python3_is_taken_where_it_is_3_11_or_newer_with_venv():
    qualifies = Path("/usr/bin/python3").exists() and subprocess.run(
        ["/usr/bin/python3", "-c", "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"],
        capture_output=True).returncode == 0
    assert _pick({"PATH": os.environ["PATH"]}) == ("/usr/bin/python3" if qualifies else "python3")


def test_a_venv_that_could_not_be_made_is_removed_and_said_in_one_line(tmp_path):
    shutil.copy(FAKE, tmp_path / "fake")
    broken = tmp_path / "broken-python"  # makes the venv's bin/python, then fails as a missing ensurepip does
    broken.write_text('#!/bin/sh\nmkdir -p "$3/bin" && touch "$3/bin/python" && chmod +x "$3/bin/python"\nexit 1\n')
    broken.chmod(0o755)
    result = subprocess.run([str(tmp_path / "fake"), "--help"], env={"PATH": os.environ["PATH"], "FAKENET_PYTHON": str(broken)},
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert f"fake: {broken} could not make {tmp_path / '.venv'}" in result.stderr
    assert not (tmp_path / ".venv").exists()
