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


def test_a_source_written_again_within_its_second_at_the_same_size_never_runs_its_old_bytecode(tmp_path, monkeypatch):
    """A timestamp .pyc records its source's mtime in whole seconds and its size: one written in the
    same second as its source matches a second edit of the same size within that second (`sed -i`, an
    agent's two quick edits with a `./fake` between). Such a source gets a .pyc checked by its content."""
    import subprocess
    import time

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "mod.py"
    second = int(time.time()) * 1_000_000_000
    module.write_text("X = 1\n")
    os.utime(module, ns=(second + 100_000_000, second + 100_000_000))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    bytecode.ensure(package)
    module.write_text("X = 2\n")  # same size, the same second
    os.utime(module, ns=(second + 600_000_000, second + 600_000_000))
    bytecode.ensure(package)
    script = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import pkg.mod; print(pkg.mod.X)"
    ran = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.stdout.strip() == "2", ran.stderr


def test_a_pyc_checked_by_content_becomes_a_timestamp_one_once_its_source_has_been_still(tmp_path, monkeypatch):
    """The content check reads and hashes the source at every import: only until a pass RECHECK later."""
    import importlib.util
    import time

    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    old = time.time() - 10
    os.utime(module, (old, old))
    compiled = importlib.util.cache_from_source(str(module))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr(bytecode, "RACY", 100.0)  # the .pyc, written now, within RACY of its source
    bytecode.ensure(module.parent)
    with open(compiled, "rb") as pyc:
        checked_by_content = int.from_bytes(pyc.read(8)[4:8], "little")
    monkeypatch.setattr(bytecode, "RACY", 2.0)
    bytecode.ensure(module.parent)  # nothing changed, the time to look again not come: no pass
    with open(compiled, "rb") as pyc:
        still_checked = int.from_bytes(pyc.read(8)[4:8], "little")
    now = time.time()
    monkeypatch.setattr(bytecode.time, "time", lambda: now + 200)
    bytecode.ensure(module.parent)
    with open(compiled, "rb") as pyc:
        assert (checked_by_content, still_checked, int.from_bytes(pyc.read(8)[4:8], "little")) == (3, 3, 0)
