"""An installed wheel's copy of the sources (fakenet/_source) makes the same image as the checkout."""

import shutil

import pytest

from fakenet import image, source_tree, state
from fakenet.errors import ContainerError

CHECKOUT = source_tree.PACKAGE.parent


def bundled_copy(tmp_path):
    """What setup.py puts in a wheel: pyproject.toml and compose/, and no fakenet/node beside them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(CHECKOUT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(CHECKOUT / "compose", tmp_path / "compose")
    return tmp_path


def test_the_wheels_copy_of_the_sources_hashes_to_the_checkouts_image(tmp_path):
    bundled = bundled_copy(tmp_path)
    assert source_tree.node_package(bundled) == source_tree.PACKAGE / "node"
    assert image.build_inputs(bundled) == image.build_inputs(image.repo_root())


def test_the_sources_are_found_in_the_checkout_then_in_the_package_else_the_error_says_where(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "fakenet"
    package.mkdir(parents=True)
    monkeypatch.setattr(source_tree, "PACKAGE", package)
    monkeypatch.setattr(image, "PACKAGE", package)
    assert source_tree.source_root() is None
    with pytest.raises(ContainerError, match=r"no checkout at .*site-packages and no .*fakenet/_source"):
        image.repo_root()
    bundled_copy(package / source_tree.BUNDLED)
    assert source_tree.source_root() == package / "_source"
    assert source_tree.compose_dir() == package / "_source" / "compose"


def test_an_installed_fakenet_keeps_its_state_in_the_users_cache_not_site_packages(tmp_path, monkeypatch):
    monkeypatch.delenv("FAKENET_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(state, "CHECKOUT", tmp_path / "site-packages")
    assert state.state_dir() == tmp_path / "cache" / "fakenet"
