"""Errors of scenario files: where (file, line, step) and what was expected instead."""

from __future__ import annotations

from fakenet.errors import ConfigError


class ScenarioError(ConfigError):
    def __init__(self, message: str, *, file: str = "", line: int | None = None, step: str | None = None):
        where = file + (f":{line}" if line else "") + (f" (step {step})" if step else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.line, self.step, self.problem = file, line, step, message
