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
