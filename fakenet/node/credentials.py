"""RPC credentials: rpcuser/rpcpassword when set, otherwise a fresh cookie file (as bitcoin-core does)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

COOKIE_USER = "__cookie__"


def cookie_path(datadir: Path) -> Path:
    return datadir / ".cookie"


def write_cookie(datadir: Path) -> tuple[str, str]:
    password = secrets.token_hex(32)
    path = cookie_path(datadir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{COOKIE_USER}:{password}")
    return COOKIE_USER, password


def read_cookie(datadir: Path) -> tuple[str, str] | None:
    try:
        user, _, password = cookie_path(datadir).read_text().partition(":")
    except OSError:
        return None
    return (user, password) if password else None


def for_server(datadir: Path, user: str | None, password: str | None) -> tuple[str, str]:
    if user and password:
        return user, password
    return write_cookie(datadir)
