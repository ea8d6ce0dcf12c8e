"""fakenet/bytecode.py: with PYTHONDONTWRITEBYTECODE set, a checkout still gets its modules' bytecode."""

import importlib.util
import os
import sys

from fakenet import bytecode


def test_missing_bytecode_is_written_only_where_python_would_not_write_it(tmp_path, monkeypatch):
    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    compiled = importlib.util.cache_from_source(str(module))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    bytecode.ensure(module.parent)
    written_when_python_writes = os.path.exists(compiled)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bytecode.ensure(module.parent)
    assert (written_when_python_writes, os.path.exists(compiled)) == (False, True)


def test_an_unchanged_package_is_not_checked_again_and_a_changed_source_is_compiled(tmp_path, monkeypatch):
    """The stamp: compileall (its import and a header read per file, ~13 ms of every `./fake` start) runs
    only after a source was added or written."""
    import subprocess

    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bytecode.ensure(module.parent)
    script = ("import sys\nfrom pathlib import Path\nfrom fakenet import bytecode\n"
              f"bytecode.ensure(Path({str(module.parent)!r}))\nprint('compileall' in sys.modules)\n")
    again = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=60)
    assert again.stdout.strip() == "False", again.stderr
    compiled = importlib.util.cache_from_source(str(module))
    before = os.path.getmtime(compiled)
    module.write_text("X = 22\n")
    os.utime(module, (before + 5, before + 5))  # compileall tells a stale .pyc by the source's mtime in seconds
    (module.parent / "new.py").write_text("Y = 1\n")
    changed = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=60)
    assert changed.stdout.strip() == "True", changed.stderr
    assert os.path.getmtime(compiled) >= before and os.path.exists(importlib.util.cache_from_source(str(module.parent / "new.py")))
    with open(compiled, "rb") as pyc:
        assert int.from_bytes(pyc.read(16)[12:16], "little") == len("X = 22\n"), "compiled from the new source"
