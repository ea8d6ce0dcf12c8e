"""The Docker hosts fakenet knows: this machine's engine ("local"), and the ones `fake hosts add` recorded.

The hosts file (hosts.json in the state directory, fakenet/state.py; mode 0600) maps a host's name to its engine URL
(`ssh://user@h` through the docker SDK's ssh support: the user's own ssh keys, agent and
known_hosts; `tcp://…`, `unix://…`) and, where `fake hosts add --reach` gave one, the address the
harness reaches the host's published ports at (an engine in a container: its bridge address, not
the URL's host name). It holds addresses only, never keys. Every client is built
here, so the backend, prune and the CLI see the same hosts.

A `tcp://` engine speaks TLS with the client certificates `docker --tlsverify` uses (ca.pem,
cert.pem, key.pem in $DOCKER_CERT_PATH, else ~/.docker), verifying the engine's certificate:
a plain tcp:// Docker API has no authentication at all, and whoever reaches it owns the host.
Without certificates it is refused unless FAKENET_INSECURE_TCP=1 says to use it anyway.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import docker
import docker.tls

from fakenet.errors import ConfigError, FakenetError
from fakenet.state import state_path
from fakenet.suggest import did_you_mean

LOCAL = "local"  # this machine's engine, as docker.from_env() finds it: always a host, always the manager
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
INSECURE_TCP_ENV = "FAKENET_INSECURE_TCP"
TLS_FILES = ("ca.pem", "cert.pem", "key.pem")


def hosts_file() -> Path:
    return Path(os.environ.get("FAKENET_HOSTS_FILE") or state_path("hosts.json"))


def _recorded() -> dict[str, dict[str, str]]:
    """name -> {"url", and "reach" where given}; a bare URL is how older files recorded a host."""
    path = hosts_file()
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    return {name: entry if isinstance(entry, dict) else {"url": entry} for name, entry in recorded.items()}


def load() -> dict[str, str]:
    """name -> engine URL of every known host, "local" first."""
    return {LOCAL: LOCAL, **{name: entry["url"] for name, entry in _recorded().items()}}


def reach_of(urls: dict[str, str]) -> dict[str, str]:
    """The recorded reach address of each of these hosts that has one (and the URL it was recorded with)."""
    return {name: entry["reach"] for name, entry in _recorded().items()
            if entry.get("reach") and urls.get(name) == entry["url"]}


def _save(hosts: dict[str, dict[str, str]]) -> None:
    path = hosts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(hosts, indent=2) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("ssh", "tcp", "unix") or not (parsed.hostname or parsed.path):
        raise ConfigError(f"a host is an engine URL such as ssh://user@host, not {url!r}")
    return url


def check_reach(address: str) -> str:
    """A host name or IP address the harness can connect to, nothing more (no scheme, port or path)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.:-]{0,252}", address or ""):
        raise ConfigError(f"a reach address is a host name or IP address such as 172.17.0.3, not {address!r}")
    return address


def add(url: str, name: str | None = None, reach: str | None = None) -> str:
    hosts = load()
    check_url(url)
    if reach is not None:
        check_reach(reach)
    tls_for(url)  # a tcp:// engine without TLS is refused now, not at the first run
    name = name or next(f"h{i}" for i in range(1, len(hosts) + 2) if f"h{i}" not in hosts)
    if not _NAME.match(name) or name == LOCAL:
        raise ConfigError(f"host name {name!r}: lower-case letters, digits and dashes, not {LOCAL!r}")
    if name in hosts:
        raise ConfigError(f"host {name!r} is already known ({hosts[name]}); `fake hosts rm {name}` first")
    recorded = _recorded()
    recorded[name] = {"url": url, **({"reach": reach} if reach else {})}
    _save(recorded)
    return name


def remove(name: str) -> str:
    hosts = load()
    if name not in hosts or name == LOCAL:
        raise ConfigError(f"no host {name!r} to remove (known: {', '.join(h for h in hosts if h != LOCAL) or 'none'})")
    recorded = _recorded()
    url = recorded.pop(name)["url"]
    _save(recorded)
    return url


def resolve(hosts: dict[str, str] | list[str] | None) -> dict[str, str]:
    """The hosts of one run, by name: a mapping as given, a list of names (of the hosts file) or
    URLs (named h1, h2, …), or None: every known host."""
    known = load()
    if hosts is None:
        return known
    if isinstance(hosts, dict):
        return {name: check_url(url) if url != LOCAL else url for name, url in hosts.items()}
    named = {}
    for i, item in enumerate(hosts, start=1):
        if item in known:
            named[item] = known[item]
        elif re.fullmatch(r"[\w-]+", item):  # a name, mistyped or never added: "not an engine URL" misled
            raise ConfigError(f"no host named {item!r}{did_you_mean(item, known)} (known: {', '.join(known)}; "
                              f"`fake hosts add URL --name {item}` adds one)")
        else:
            named[f"h{i}"] = check_url(item)
    return named


def client(url: str, timeout: int = 120) -> docker.DockerClient:
    """A Docker client of one host (its engine's own API version, as `docker` would negotiate)."""
    try:
        if url == LOCAL:
            return docker.from_env(timeout=timeout)
        return docker.DockerClient(base_url=url, timeout=timeout, max_pool_size=32, tls=tls_for(url))
    except (docker.errors.DockerException, OSError, *_ssh_errors()) as exc:
        # paramiko's NoValidConnectionsError is an OSError with no errno: "[Errno None] Unable to …"
        reason = str(exc).removeprefix("[Errno None] ")
        raise FakenetError(f"cannot reach the Docker engine at {url}: {reason}") from exc


def tls_for(url: str) -> docker.tls.TLSConfig | bool:
    """TLS for a tcp:// engine (False for ssh:// and unix://, which bring their own protection)."""
    if urlparse(url).scheme != "tcp":
        return False
    cert_dir = Path(os.environ.get("DOCKER_CERT_PATH") or Path.home() / ".docker")
    ca, cert, key = (cert_dir / name for name in TLS_FILES)
    if all(path.is_file() for path in (ca, cert, key)):
        return docker.tls.TLSConfig(client_cert=(str(cert), str(key)), ca_cert=str(ca), verify=True)
    if os.environ.get(INSECURE_TCP_ENV) == "1":
        return False
    raise ConfigError(f"{url}: a tcp:// Docker engine needs TLS (its API has no authentication: whoever reaches "
                      f"it owns the host). Put the client certificates of `docker --tlsverify` ({', '.join(TLS_FILES)}) "
                      f"in $DOCKER_CERT_PATH or ~/.docker, use ssh://user@host, or set {INSECURE_TCP_ENV}=1 "
                      f"to use it unencrypted anyway")


def _ssh_errors() -> tuple[type[Exception], ...]:
    """paramiko's own failures (authentication, host key), where the ssh extra is installed."""
    try:
        from paramiko import SSHException
    except ImportError:
        return ()
    return (SSHException,)


def is_loopback(url: str) -> bool:
    """An engine on this machine: its published ports are reached at 127.0.0.1."""
    host = urlparse(url).hostname if url != LOCAL else "localhost"
    return url == LOCAL or url.startswith("unix://") or host in ("localhost", "::1") or host.startswith("127.")


def address_of(url: str) -> str:
    """Where the harness reaches a host's published ports."""
    return "127.0.0.1" if is_loopback(url) else urlparse(url).hostname
