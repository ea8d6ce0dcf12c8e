"""Only what pyproject.toml cannot say: a wheel carries pyproject.toml and compose/ (the Dockerfiles
and compose files) inside the package as fakenet/_source/, so an installed fakenet builds its
images and brings up compose projects without a checkout (fakenet/source_tree.py)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithSources(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "fakenet" / "_source"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(HERE / "compose", target / "compose", ignore=shutil.ignore_patterns(".*", "__pycache__"))
        shutil.copy2(HERE / "pyproject.toml", target / "pyproject.toml")


setup(cmdclass={"build_py": BuildWithSources})
