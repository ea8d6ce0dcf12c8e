"""RPC credentials: rpcuser/rpcpassword when set (environment, then `fakenet.conf` in the data dir),
otherwise a fresh cookie file (as bitcoin-core does), removed again at a clean stop.

`--rpcpassword` still works but shows in `ps` to every user of the machine; FAKENET_RPCPASSWORD
or `rpcpassword=` in fakenet.conf (0600) keep it private. The cookie is rewritten 0600 at every
start, whatever mode an existing cookie file had.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

COOKIE_USER = "__cookie__"
CONF_NAME = "fakenet.conf"


def cookie_path(datadir: Path) -> Path:
    return datadir / ".cookie"


def conf_path(datadir: Path) -> Path:
    return Path(os.environ.get("FAKENET_CONF") or datadir / CONF_NAME)


def read_conf(path: Path) -> dict[str, str]:
    """bitcoin.conf-style `key=value` lines; a missing or unreadable file is empty."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def write_cookie(datadir: Path) -> tuple[str, str]:
    from fakenet.node.datadir import write_atomically  # here: `cli` reads cookies without loading the node's crypto

    password = secrets.token_hex(32)
    write_atomically(cookie_path(datadir), f"{COOKIE_USER}:{password}")
    return COOKIE_USER, password


def remove_cookie(datadir: Path, password: str) -> None:
    """Delete the cookie at a clean stop, as bitcoin-core's DeleteAuthCookie: a stale cookie looks
    like a running node to clients. Only our own: another process may have written a new one."""
    if read_cookie(datadir) == (COOKIE_USER, password):
        cookie_path(datadir).unlink(missing_ok=True)


def read_cookie(datadir: Path, path: Path | None = None) -> tuple[str, str] | None:
    """The data dir's cookie, or the one at `path` (cli's -rpccookiefile)."""
    try:
        user, _, password = (path or cookie_path(datadir)).read_text().partition(":")
    except OSError:
        return None
    return (user, password) if password else None


def for_server(datadir: Path, user: str | None, password: str | None) -> tuple[str, str]:
    if not (user and password):
        conf = read_conf(conf_path(datadir))
        user, password = user or conf.get("rpcuser"), password or conf.get("rpcpassword")
    if user and password:
        return user, password
    return write_cookie(datadir)
