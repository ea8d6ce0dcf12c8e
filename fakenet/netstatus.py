"""What a compose network's nodes say about themselves, and waiting until they are all up and meshed.

Containers are found by compose's project label (not by name: Compose v1 and v2 name them
differently). Each node is asked through its kind's client — the harness's one RPC client, with
the credentials from the container's own environment, the same way `Network.attach` logs in —
at its container address where the host can route to it, as on a Linux engine: milliseconds,
and no engine work. Where it cannot (Docker Desktop, a remote engine) it is asked through the
kind's status command in the container (`cli -getinfo`), which works wherever the engine runs,
at about 60 ms of engine CPU per call.

A node that answers is healthy as far as `up` is concerned, whatever Docker's health status says:
its healthcheck asks the same node (the fakenet kind's /api/v0/node/healthcheck: 200 once the swarm
listens, which a node with its peers has done; Litecoin's `cli getblockcount`: the RPC `up` asks),
but only every 10 s, each check an exec, so its verdict lags the node's own answer. Right after `up`
it can say "starting" of a node that is serving, shown as healthy here. A paused container is
"unhealthy" to Docker at once, and stays so after its unpause until its next check (10 s later on a
quiet engine): `up -d` again failed on that verdict after its whole timeout, every node answering and
meshed. The table still shows a verdict of failure as Docker gives it: a check that keeps failing (a
broken exec, a check timing out on a loaded engine) is worth seeing, but it is not the node's answer,
and `up` does not wait on it.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, NamedTuple

from fakenet.errors import ConfigError, FakenetError, RpcError, WaitTimeout
from fakenet.harness import http_once
from fakenet.harness.backends.base import container_credentials
from fakenet.harness.rpc import CONNECT_TIMEOUT, REFUSED, UNAUTHORIZED, RpcClient, unreached
from fakenet.harness.waits import wait_for
from fakenet import invocation, kinds
from fakenet.labels import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL
from fakenet.kinds import NodeKind
from fakenet.naming import natural

if TYPE_CHECKING:  # `up` lists and inspects over engine_socket (socket_client) without the SDK
    import docker

POOL_SIZE = 16  # nodes asked at once: one slow to answer (3 s timeout) does not hold up the others
SLOWEST = 0.5  # seconds between rounds of asking, however long `up` has waited
# Seconds a node not yet meshed is asked to hold its answer until it is (kinds whose nodes can:
# NodeClient.summary_with): `up` hears it the moment it meshes, not at its next poll, and asks it
# once instead of every poll. Well under the RPC client's 3 s timeout.
HOLD = 1.0
HELD_AT_ONCE = 256  # the wait's threads: every node's held request at once, up to this many nodes
# Seconds between connects to a node whose container runs but whose process does not listen yet (its
# ports are bound early, fakenet/node/early.py, but after the interpreter starts): within a held question
# it is asked again this soon, doubling up to the most, not at the next round, which on 4 nodes came
# 20-45 ms after the others' answers, most of the wait's own part of `up` (issue 28). Doubling: a node
# slow to start on a loaded machine is not connected to a hundred times a second (~40 ms of CPU a second).
REFUSED_AGAIN, REFUSED_AGAIN_AT_MOST = 0.01, 0.1


class NodeStatus(NamedTuple):
    """One row of the status table. A NamedTuple, not a frozen dataclass: no generated code compiled at
    import (~0.5 M instructions a field, in `./fake up`'s process, issue 28)."""

    name: str
    state: str  # container state, plus health: "running/healthy"
    peerid: str = ""
    height: int | None = None
    peers: int | None = None
    urls: tuple[str, ...] = ()
    error: str = ""


def containers(client: docker.DockerClient, project: str) -> list:
    found = client.containers.list(all=True, ignore_removed=True, filters={"label": f"{COMPOSE_PROJECT_LABEL}={project}"})
    return sorted(found, key=lambda c: natural(c.labels.get(COMPOSE_SERVICE_LABEL, c.name)))


def _urls(kind: NodeKind, container) -> tuple[str, ...]:
    roles = {f"{port}/tcp": role for role, port in kind.ports.items()}
    urls = []
    for port, bindings in sorted((container.attrs["NetworkSettings"].get("Ports") or {}).items()):
        for binding in bindings or []:
            if port in roles:
                # The container's port too: README's port table goes by it, and "api" alone was any of five APIs.
                urls.append(f"{roles[port]} ({port.split('/')[0]}) http://{binding['HostIp']}:{binding['HostPort']}")
    return tuple(urls)


class _Route:
    """Whether this host reaches container addresses; learnt from the first connect that times out."""
    direct = True


def _address(container) -> str | None:
    networks = container.attrs["NetworkSettings"].get("Networks") or {}
    return next((n["IPAddress"] for n in networks.values() if n.get("IPAddress")), None)


# (container id, address) -> client, made once per node. Its transport is http_once's (a connection per ask,
# no requests: ~55 ms of `up`'s CPU, issue 28): a wait asks each node about twice, a status once.
_clients: dict[tuple[str, str], RpcClient] = {}
_clients_lock = threading.Lock()


def _rpc(kind: NodeKind, container, address: str, name: str) -> RpcClient:
    key = (container.id, address)
    with _clients_lock:
        if key not in _clients:
            user, password = container_credentials(kind, container)
            _clients[key] = RpcClient(f"http://{address}:{kind.ports['rpc']}{kind.rpc_path()}", user, password,
                                      node=name, timeout=3, transport=http_once.Once(user, password))
        return _clients[key]


def _ask_directly(kind: NodeKind, container, name: str, state: str, until: tuple[int, float] | None
                  ) -> NodeStatus | None:
    """The node's own answers at its container address (`until`: once it has that many peers, or after
    that many seconds); None where that address is unroutable."""
    address = _address(container)
    if not (_Route.direct and address):
        return None
    urls = _urls(kind, container)
    try:
        client = kind.client(_rpc(kind, container, address, name))
        summary = _held_summary(client, until) if until else client.summary()
    except ConfigError as exc:
        return NodeStatus(name, state, urls=urls, error=str(exc))
    except FakenetError as exc:
        if isinstance(exc, RpcError) and unreached(exc) == CONNECT_TIMEOUT:
            _Route.direct = False  # a filtered or unroutable address: ask through the engine from now on
            return None
        if getattr(exc, "code", None) == UNAUTHORIZED:
            return NodeStatus(name, state, urls=urls, error="RPC refused the credentials in the container's environment")
        return NodeStatus(name, state, urls=urls, error=f"not answering yet: {exc}")
    return NodeStatus(name, _healthy(state), summary.identity, summary.height, summary.peers, urls)


def _held_summary(client, until: tuple[int, float]):
    """client.summary_with(*until), asked again while the connection is refused, for as long as the
    hold lasts: a node not listening yet is one still starting, which the held question waits for."""
    deadline, pause = time.monotonic() + until[1], REFUSED_AGAIN
    while True:
        try:
            return client.summary_with(*until)
        except RpcError as exc:
            if not _refused(exc) or time.monotonic() + pause >= deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, REFUSED_AGAIN_AT_MOST)


def _refused(exc: RpcError) -> bool:
    """No connection: not a timeout (an unroutable address, _Route), not an answer."""
    return unreached(exc) == REFUSED


def probe(kind: NodeKind, container, inspected: bool = False, until: tuple[int, float] | None = None) -> NodeStatus:
    """What one node says; `inspected`: the container object was just listed (listing inspects); `until`
    (peers, seconds): held by the node until it has that many peers, where it can be asked directly."""
    if not inspected:
        container.reload()
    name = container.labels.get(COMPOSE_SERVICE_LABEL, container.name)
    health = container.attrs["State"].get("Health", {}).get("Status", "")
    # Docker's health verdict only of a running container: a node stopped or paused by hand kept its
    # last one, and "exited/unhealthy" read as a node that had crashed.
    state = container.status + (f"/{health}" if health and container.status == "running" else "")
    if container.status != "running":
        return NodeStatus(name, state, error="down")  # as graph says it; the state says how (exited, paused)
    direct = _ask_directly(kind, container, name, state, until)
    if direct is not None or kind.status_command is None:
        return direct or NodeStatus(name, state, error="container address unreachable and no status command")
    code, output = container.exec_run(list(kind.status_command), demux=False)
    text = output.decode(errors="replace").strip()
    urls = _urls(kind, container)
    if code != 0:  # None too: the exec ended without an exit status
        return NodeStatus(name, state, urls=urls, error=text.splitlines()[-1] if text else f"exit {code}")
    try:
        info = json.loads(text)
    except ValueError:  # a node still starting can answer with nothing; the caller polls again
        return NodeStatus(name, state, urls=urls, error=f"getinfo was not JSON: {text[:80]!r}")
    return NodeStatus(name, _healthy(state), info.get("peerid", ""), info.get("blocks"),
                      info["connections"]["total"], urls)


def _healthy(state: str) -> str:
    """The node answered just now; Docker's own next health check will agree."""
    return state.replace("/starting", "/healthy") if state.endswith("/starting") else state


def probe_all(client: docker.DockerClient, project: str, kind: NodeKind | None = None) -> list[NodeStatus]:
    return probe_listed(kinds.get(kind), containers(client, project))


def probe_listed(kind: NodeKind, found: list, pool: ThreadPoolExecutor | None = None,
                 until: tuple[int, float] | None = None) -> list[NodeStatus]:
    """Ask each of these containers, as they were when listed (no engine call where addresses route)."""
    if pool is not None:
        return list(pool.map(lambda container: probe(kind, container, inspected=True, until=until), found))
    with ThreadPoolExecutor(max_workers=POOL_SIZE) as own:
        return probe_listed(kind, found, own)


class _Listing:
    """The project's containers, listed until all `count` run with an address, then kept: listing is
    a call per container to the engine, and at one poll every 100 ms it competed with the container
    starts `up` waits for. A node that answers runs, so what is kept is good while every node answers;
    once one does not (doubt()), the next look asks the engine, in one sparse list whatever the count,
    whether the containers are still those kept (id, state, published ports), and lists them afresh if
    not: a container paused, stopped, restarted or recreated since is seen as it is now."""

    def __init__(self, client: docker.DockerClient, project: str, count: int):
        self.client, self.project, self.count = client, project, count
        self._settled: list = []
        self._doubted = False

    def probe(self, kind: NodeKind, pool: ThreadPoolExecutor | None = None) -> list[NodeStatus]:
        return probe_listed(kind, self.found(), pool)

    def doubt(self) -> None:
        """A node did not answer: the next found() checks the kept containers against the engine."""
        self._doubted = True

    def found(self) -> list:
        if self._doubted and self._settled and not self._still_as_kept():
            self._settled = []
        self._doubted = False
        found = self._settled or containers(self.client, self.project)
        if len(found) == self.count and all(c.status == "running" and _address(c) for c in found):
            self._settled = found
        return found

    def _still_as_kept(self) -> bool:
        now = self.client.containers.list(all=True, sparse=True, ignore_removed=True,
                                          filters={"label": f"{COMPOSE_PROJECT_LABEL}={self.project}"})
        return sorted(map(_as_listed, now)) == sorted(map(_as_listed, self._settled))


def _as_listed(container) -> tuple[str, str, tuple[int, ...]]:
    """(id, state, published host ports) of a container as a sparse list gives it or as inspected: a
    restart keeps the id but can publish on other host ports, and the table shows them."""
    ports = container.attrs.get("Ports")
    if isinstance(ports, list):  # a sparse list's entry: [{"PrivatePort": 6433, "PublicPort": 32768, ...}]
        published = {int(port["PublicPort"]) for port in ports if port.get("PublicPort")}
    else:
        bindings = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
        published = {int(b["HostPort"]) for found in bindings.values() for b in found or [] if b.get("HostPort")}
    return container.id, container.status, tuple(sorted(published))


class _Rounds:
    """Polls that ask only the nodes not yet meshed (each poll was every node, and every answer is CPU the
    starting nodes and `up` share): once each has been seen meshed, all are asked again at once, and
    only that round can pass, so what `up` reports is every node as it was at one moment."""

    def __init__(self, listing: _Listing, kind: NodeKind, count: int, pool: ThreadPoolExecutor,
                 clock: Callable[[], float] = time.monotonic):
        self.listing, self.kind, self.count, self.pool, self.clock = listing, kind, count, pool, clock
        self.meshed: dict[str, NodeStatus] = {}  # service name -> its answer when it was last seen meshed
        self.started = self.next = clock()
        self.last: tuple[list[NodeStatus], bool] = ([], False)

    def observe(self) -> tuple[list[NodeStatus], bool]:
        """(a row per container, whether every row was asked in this one round). A wait that has gone on
        asks less often, a tenth of the time waited so far between rounds (at most SLOWEST): on a
        loaded machine a 50 s wait asked 1,700 times, 1.3 CPU seconds taken from the starting nodes;
        on a quiet one (a wait of ~0.5 s) nothing changes."""
        now = self.clock()
        if now < self.next:
            return self.last
        self.next = now + min(SLOWEST, (now - self.started) / 10)
        self.last = self._ask()
        return self.last

    def _ask(self) -> tuple[list[NodeStatus], bool]:
        rows, whole = self._round(self.listing.found())
        if any(row.error for row in rows):  # not answering: perhaps its container is not as the listing has it
            self.listing.doubt()
        return rows, whole

    def _round(self, found: list) -> tuple[list[NodeStatus], bool]:
        asked = [c for c in found if _service(c) not in self.meshed]
        if asked:
            fresh = {row.name: row for row in probe_listed(self.kind, asked, self.pool, until=(self.count - 1, HOLD))}
            self.meshed.update({name: row for name, row in fresh.items() if self._is_meshed(row)})
            if len(found) < self.count or any(_service(c) not in self.meshed for c in found):
                return [fresh.get(_service(c)) or self.meshed[_service(c)] for c in found], False
        # every node has been seen meshed (the last ones just now: no poll's wait before this round)
        rows = probe_listed(self.kind, found, self.pool)
        self.meshed = {row.name: row for row in rows if self._is_meshed(row)}  # who fell back is asked each poll
        return rows, True

    def _is_meshed(self, row: NodeStatus) -> bool:
        return not _problems([row], self.count, rows_only=True)


def _service(container) -> str:
    return container.labels.get(COMPOSE_SERVICE_LABEL, container.name)


def _problems(rows: list[NodeStatus], count: int, rows_only: bool = False) -> list[str]:
    """What keeps `rows` from being `count` healthy, meshed nodes (rows_only: judge the rows, not their number).
    Healthy: running and answering just now; Docker's health status is not asked (the module says why)."""
    problems = [] if rows_only or len(rows) == count else [f"{len(rows)} containers, expected {count}"]
    for row in rows:
        if row.error or row.peers is None or not row.state.startswith("running"):
            problems.append(f"{row.name}: {row.error or row.state}")
        elif row.peers != count - 1:
            problems.append(f"{row.name}: {row.peers} peers, expected {count - 1}")
    return problems


def wait_meshed(client: docker.DockerClient, project: str, count: int, timeout: float,
                kind: NodeKind | None = None) -> list[NodeStatus]:
    """Until every node is healthy with count-1 peers; on timeout, say which node and show its logs."""
    last: list[list[NodeStatus]] = [[]]
    listing, kind = _Listing(client, project, count), kinds.get(kind)
    pool = ThreadPoolExecutor(max_workers=max(1, min(HELD_AT_ONCE, count)))
    rounds = _Rounds(listing, kind, count, pool)
    fake = invocation.command(project)

    def observe():
        last[0], whole = rounds.observe()
        return last[0], whole

    def logs():
        bad = [line.split(":")[0] for line in _problems(last[0], count)]
        return [f"{c.name}| {line}" for c in containers(client, project)
                if c.labels.get(COMPOSE_SERVICE_LABEL) in bad
                for line in c.logs(tail=12).decode(errors="replace").splitlines()]

    try:
        (rows, _), _ = wait_for(observe, lambda seen: seen[1] and not _problems(seen[0], count), timeout=timeout,
                                expected=f"{count} healthy nodes with {count - 1} peers each", logs=logs,
                                hint=f"`{fake} logs NODE` shows a node's whole log; `{fake} down -v` resets",
                                max_interval=0.1)  # a poll is a few HTTP calls where containers are routable
    except WaitTimeout as exc:
        last[0] = probe_all(client, project, kind)  # as the engine sees them now: a stopped container says so
        raise WaitTimeout(f"network {project!r} did not come up: " + "; ".join(_problems(last[0], count)) +
                          f"\n{exc}") from exc
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return rows
