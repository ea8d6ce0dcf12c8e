"""The hosts backend's options as command-line words and back: what `fake scenario run --backend hosts`
takes (everything `Network(backend="hosts", …)` does but the placement, which has its own flag)
and what a replay line repeats.

    --hosts NAME|URL,…           the hosts of the run (default: every host of `fake hosts ls`)
    --reach HOST=ADDRESS,…       where the harness reaches a host's published ports
    --advertise ADDRESS          the swarm manager's address as the other engines reach it
    --overlay-encryption MODE    auto, on or off
"""

from __future__ import annotations

from fakenet.errors import ConfigError
from fakenet.host_registry import check_reach
from fakenet.harness.backends.hosts import encryption_mode, parse_placement

FLAGS = {"hosts": "--hosts", "reach": "--reach", "advertise": "--advertise", "overlay_encryption": "--overlay-encryption"}


def parse_hosts(text: str) -> list[str]:
    hosts = [item.strip() for item in text.split(",") if item.strip()]
    if not hosts:
        raise ConfigError(f"--hosts is NAME|URL,…, not {text!r}")
    return hosts


def parse_reach(text: str) -> dict[str, str]:
    """HOST=ADDRESS,… (the placement's syntax), each address checked."""
    try:
        pairs = parse_placement(text)
    except ConfigError:
        pairs = {}
    if not pairs:
        raise ConfigError(f"--reach is HOST=ADDRESS,…, not {text!r}")
    return {host: check_reach(address) for host, address in pairs.items()}


PARSERS = {"hosts": parse_hosts, "reach": parse_reach, "advertise": check_reach, "overlay_encryption": encryption_mode}


def options(given: dict[str, str | None]) -> dict:
    """Backend options from the flags given (None: not given)."""
    return {key: PARSERS[key](text) for key, text in given.items() if text is not None}


def words(options: dict) -> list[str]:
    """The flags that give these options again (for a replay line)."""
    render = {"hosts": ",".join, "reach": lambda r: ",".join(f"{h}={a}" for h, a in r.items()),
              "advertise": str, "overlay_encryption": str}
    return [word for key, flag in FLAGS.items() if options.get(key) for word in (flag, render[key](options[key]))]
