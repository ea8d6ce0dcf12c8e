"""Node names in the order people count them: node, node2, node10 (numbers by value, not by text)."""

from __future__ import annotations

import re


def natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))
