"""support/rewrite_cache.py: the controller's cache of rewritten test modules is the one pytest reads."""

from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc

from support import rewrite_cache


def _names(code) -> set[str]:
    names = set(code.co_names) | set(code.co_varnames)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


def test_the_cache_written_is_pytest_s_rewritten_module(tmp_path, request):
    module = tmp_path / "test_sample.py"
    module.write_text("def test_sum():\n    total = 1 + 1\n    assert total == 2, 'arithmetic'\n")
    assert rewrite_cache.warm(request.config, [module]) == 1
    code = _read_pyc(module, tmp_path / "__pycache__" / f"test_sample{PYC_TAIL}")
    assert code is not None, "pytest does not accept the cached file"
    assert any(name.startswith("@py_assert") for name in _names(code)), "the asserts were not rewritten"
    assert rewrite_cache.warm(request.config, [module]) == 0  # current: not written again


def test_a_changed_module_is_written_again_and_a_broken_one_is_left_to_pytest(tmp_path, request):
    module = tmp_path / "test_sample.py"
    module.write_text("def test_one():\n    assert 1\n")
    rewrite_cache.warm(request.config, [module])
    module.write_text("def test_one():\n    assert 2\n")
    assert rewrite_cache.warm(request.config, [module]) == 1
    broken = tmp_path / "test_broken.py"
    broken.write_text("def test_(:\n")
    assert rewrite_cache.warm(request.config, [broken]) == 0
    assert not (tmp_path / "__pycache__" / f"test_broken{PYC_TAIL}").exists()
