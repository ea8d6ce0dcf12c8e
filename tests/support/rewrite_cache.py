"""The test modules' rewritten asserts, made once by the xdist controller before its workers start
(issue 28: suite time).

pytest compiles each test module with its asserts rewritten and caches the result beside it in
__pycache__, unless PYTHONDONTWRITEBYTECODE is set (this project's machines set it): then every
worker rewrote all ~140 test modules on every run, ~3 CPU s each, four times over on two cores
before the first item started. A fresh clone (CI) has no cache either way. So the controller
writes the cache once, as pytest itself would (same file, same checked-hash format), and the
workers read it: pytest reads a cached rewrite whatever PYTHONDONTWRITEBYTECODE says. Only what
pytest rewrites anyway is written (test_*.py and conftest.py); like fakenet's own bytecode
(fakenet/bytecode.py), the files go in __pycache__, which git ignores.

This reaches into pytest's assertion rewriting (private names): where they are missing or differ,
nothing is warmed and the workers rewrite as before.
"""

from __future__ import annotations

from pathlib import Path


def warm(config, modules: list[Path] | None = None) -> int:
    """Write the rewritten code of every test module (`modules`, else those under the configured
    testpaths) that has no current cache; how many were written."""
    try:
        from _pytest.assertion import assertstate_key
        from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc, get_cache_dir

        state = config.stash[assertstate_key]
    except (ImportError, KeyError):  # another pytest, or asserts not rewritten (--assert=plain)
        return 0
    written = 0
    for module in _modules(config) if modules is None else modules:
        pyc = get_cache_dir(module) / (module.name[:-3] + PYC_TAIL)
        if _read_pyc(module, pyc) is not None:
            continue
        try:
            source_hash, code = _rewrite_test(module, config)
            pyc.parent.mkdir(exist_ok=True)
        except (OSError, SyntaxError):
            continue  # the worker that imports it reports the error as pytest always does
        written += _write_pyc(state, code, source_hash, pyc)
    return written


def _modules(config) -> list[Path]:
    root = Path(config.rootpath)
    found = []
    for folder in config.getini("testpaths") or ["."]:
        base = root / folder
        found += [path for path in base.rglob("*.py") if path.name.startswith("test_") or path.name == "conftest.py"]
    return [path for path in found if "data" not in path.relative_to(root).parts]
