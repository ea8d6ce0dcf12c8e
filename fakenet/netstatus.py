"""What a compose network's nodes say about themselves, and waiting until they are all up and meshed.

Containers are found by compose's project label (not by name: Compose v1 and v2 name them
differently). Each node is asked over HTTP at its container address (its health endpoint and
one JSON-RPC batch, with the credentials from the container's environment) where the host can
route to it, as on a Linux engine: milliseconds, and no engine work. Where it cannot (Docker
Desktop, a remote engine) it is asked through `docker exec … cli -getinfo`, which works
wherever the engine runs, at about 60 ms of engine CPU per call.

A node is healthy when its health endpoint says so: that is what Docker's own healthcheck asks
too, but Docker asks only every 10 s (each check is an exec), so right after `up` its status
can still say "starting" for a node that is serving.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import docker
import requests

from fakenet.errors import WaitTimeout
from fakenet.harness.waits import wait_for


@dataclass(frozen=True)
class NodeStatus:
    name: str
    state: str  # container state, plus health: "running/healthy"
    peerid: str = ""
    height: int | None = None
    peers: int | None = None
    urls: tuple[str, ...] = ()
    error: str = ""


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def containers(client: docker.DockerClient, project: str) -> list:
    found = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
    return sorted(found, key=lambda c: _natural(c.labels.get("com.docker.compose.service", c.name)))


def _urls(container) -> tuple[str, ...]:
    names = {"6433/tcp": "rpc", "7007/tcp": "api", "5011/tcp": "ipfs", "9094/tcp": "cluster"}
    urls = []
    for port, bindings in sorted((container.attrs["NetworkSettings"].get("Ports") or {}).items()):
        for binding in bindings or []:
            if port in names:
                urls.append(f"{names[port]} http://{binding['HostIp']}:{binding['HostPort']}")
    return tuple(urls)


class _Route:
    """Whether this host reaches container addresses; learnt from the first connect that times out."""
    direct = True


def _address(container) -> str | None:
    networks = container.attrs["NetworkSettings"].get("Networks") or {}
    return next((n["IPAddress"] for n in networks.values() if n.get("IPAddress")), None)


def _credentials(container) -> tuple[str, str]:
    env = dict(item.split("=", 1) for item in container.attrs["Config"].get("Env") or [] if "=" in item)
    return env.get("FAKENET_RPCUSER", "fakenet"), env.get("FAKENET_RPCPASSWORD", "fakenet")


def _ask_directly(container, name: str, state: str) -> NodeStatus | None:
    """The node's own answers over HTTP at its container address; None where that address is unroutable."""
    address = _address(container)
    if not (_Route.direct and address):
        return None
    try:
        health = requests.get(f"http://{address}:7007/api/v0/node/healthcheck", timeout=(0.5, 3))
        batch = [{"jsonrpc": "2.0", "id": i, "method": m, "params": []}
                 for i, m in enumerate(("getnetworkinfo", "getblockcount"))]
        answer = requests.post(f"http://{address}:6433/", json=batch, auth=_credentials(container), timeout=(0.5, 3))
        if answer.status_code == 401:
            return NodeStatus(name, state, urls=_urls(container),
                              error="RPC refused the credentials in the container's environment")
        replies = answer.json()
    except requests.exceptions.ConnectTimeout:
        _Route.direct = False  # a filtered or unroutable address: ask through the engine from now on
        return None
    except (requests.RequestException, ValueError) as exc:  # refused while starting, or not JSON yet
        return NodeStatus(name, state, urls=_urls(container), error=f"not answering yet: {type(exc).__name__}")
    if not isinstance(replies, list) or any(r.get("error") for r in replies):
        return NodeStatus(name, state, urls=_urls(container), error=f"RPC error: {str(replies)[:120]}")
    net, height = (r["result"] for r in sorted(replies, key=lambda r: r["id"]))
    if health.status_code == 200:
        state = _healthy(state)
    return NodeStatus(name, state, net["peerid"], height, net["connections"], _urls(container))


def probe(container, inspected: bool = False) -> NodeStatus:
    """What one node says; `inspected`: the container object was just listed (listing inspects)."""
    if not inspected:
        container.reload()
    name = container.labels.get("com.docker.compose.service", container.name)
    health = container.attrs["State"].get("Health", {}).get("Status", "")
    state = container.status + (f"/{health}" if health else "")
    if container.status != "running":
        return NodeStatus(name, state, error=f"container is {container.status}")
    direct = _ask_directly(container, name, state)
    if direct is not None:
        return direct
    code, output = container.exec_run(["sh", "-c", "cli -healthcheck || { echo 'health endpoint: not ready'; exit 1; }"
                                                   " && cli -getinfo"], demux=False)
    text = output.decode(errors="replace").strip()
    if code != 0:  # None too: the exec ended without an exit status
        return NodeStatus(name, state, urls=_urls(container), error=text.splitlines()[-1] if text else f"exit {code}")
    try:
        info = json.loads(text)
    except ValueError:  # a node still starting can answer with nothing; the caller polls again
        return NodeStatus(name, state, urls=_urls(container), error=f"getinfo was not JSON: {text[:80]!r}")
    return NodeStatus(name, _healthy(state), info["peerid"], info["blocks"], info["connections"]["total"],
                      _urls(container))


def _healthy(state: str) -> str:
    """The health endpoint answered 200 just now; Docker's own next check will agree."""
    return state.replace("/starting", "/healthy") if state.endswith("/starting") else state


def probe_all(client: docker.DockerClient, project: str) -> list[NodeStatus]:
    found = containers(client, project)
    with ThreadPoolExecutor(max_workers=min(16, max(1, len(found)))) as pool:
        return list(pool.map(lambda container: probe(container, inspected=True), found))


def _problems(rows: list[NodeStatus], count: int) -> list[str]:
    problems = [] if len(rows) == count else [f"{len(rows)} containers, expected {count}"]
    for row in rows:
        if row.error or not row.state.endswith("healthy") or row.state.endswith("unhealthy"):
            problems.append(f"{row.name}: {row.error or row.state}")
        elif row.peers != count - 1:
            problems.append(f"{row.name}: {row.peers} peers, expected {count - 1}")
    return problems


def wait_meshed(client: docker.DockerClient, project: str, count: int, timeout: float) -> list[NodeStatus]:
    """Until every node is healthy with count-1 peers; on timeout, say which node and show its logs."""
    last: list[list[NodeStatus]] = [[]]

    def observe():
        last[0] = probe_all(client, project)
        return last[0]

    def logs():
        bad = [line.split(":")[0] for line in _problems(last[0], count)]
        return [f"{c.name}| {line}" for c in containers(client, project)
                if c.labels.get("com.docker.compose.service") in bad
                for line in c.logs(tail=12).decode(errors="replace").splitlines()]

    try:
        rows, _ = wait_for(observe, lambda rows: not _problems(rows, count), timeout=timeout,
                           expected=f"{count} healthy nodes with {count - 1} peers each", logs=logs,
                           hint="`./fake logs NODE` shows a node's whole log; `./fake down -v` resets",
                           max_interval=0.1)  # a poll is a few HTTP calls where containers are routable
    except WaitTimeout as exc:
        raise WaitTimeout(f"network {project!r} did not come up: " + "; ".join(_problems(last[0], count)) +
                          f"\n{exc}") from exc
    return rows
