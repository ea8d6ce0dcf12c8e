"""The docker backend: one container per node on a network of its own (docker SDK).

Every container, network and volume carries the fakenet labels (project, run, owner process)
and is removed on close; `fake prune` and the pytest plugin clean up after killed runs. The
harness reaches a node at its container address where this host routes to container networks
(a Linux engine on this machine): publishing four host ports per node cost four docker-proxy
processes and NAT rules each, 256 at 64 nodes. Where it cannot (a remote or Desktop engine,
or FAKENET_PUBLISH=1) ports are published, ephemeral and bound to 127.0.0.1. Links are cut
with iptables inside the node's own namespace (NET_ADMIN); delay goes through the node's
transport, as this kernel has no netem. The hosts backend (hosts.py) builds on this one.
"""

from __future__ import annotations

import io
import os
import secrets
import sys
import tarfile
import uuid
from concurrent.futures import ThreadPoolExecutor

import docker
from docker.models.containers import _create_container_args  # what containers.create sends

from fakenet import code_mounts, engine_pause, invocation
from fakenet.errors import ConfigError, ContainerError, FakenetError
from fakenet.harness import ended
from fakenet.harness.backends import subnets
from fakenet.harness.backends.base import Backend, LinkRules, NodeRuntime, NodeSpec, container_credentials
from fakenet.harness.backends.container_shell import ContainerShell, ShellGone
from fakenet.harness.backends.linkfilter import PacketFilter, has_netem, netem_script
from fakenet.harness.backends.shared_look import SharedLook
from fakenet.harness.rpc import RpcClient
from fakenet.kinds.base import Launch, NodeKind
from fakenet.labels import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value

# Who removes a run's network, or a node's endpoint in it, under the run; and what that leaves.
OUTSIDE = "(from outside the run: another user or tool; no address is left that the harness or peers reach)"
# What the SDK raises where the engine does not answer a look between a wait's probes: its own errors, and
# requests' ConnectionError and ReadTimeout (OSErrors) where its socket is gone or silent (dockerd restarting
# under live-restore, its nodes still running): the wait goes on with its probe, which asks the nodes.
ENGINE_UNANSWERED = (docker.errors.DockerException, OSError)


class DockerRuntime(NodeRuntime):
    def __init__(self, backend: DockerBackend, spec: NodeSpec | None, container=None, name: str | None = None):
        self.backend, self.spec, self.kind = backend, spec, backend.kind
        self.name = name or spec.name
        self._rpc: RpcClient | None = None
        self.container = container
        self.packet_filter = PacketFilter(self._run_script, self.name)
        self.shell: ContainerShell | None = None
        # What inspect said since the last lifecycle change made here: a container keeps its address
        # and host ports while it runs, and re-inspecting 16 containers per node and per fault made
        # a 16-node heal cost over a second of engine calls.
        self._inspected = False
        self._delay_sent: dict[str, float] | None = None  # the node's transport delay, as last set

    def _forget(self) -> None:
        """After start, kill, stop or pause: address, ports and status may change; the node's transport
        state starts afresh after a restart."""
        self._inspected = False
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None
        self._delay_sent = None
        if self.shell is not None:  # its process dies with the container's
            self.shell.close()
            self.shell = None

    def inspect(self) -> dict:
        if not self._inspected:
            self.container.reload()
            self._inspected = True
        return self.container.attrs

    def status(self) -> str:
        self.inspect()
        return self.container.status

    def ended(self):
        if self.container is None or self.stopped_here:
            return None
        try:
            self.container.reload()  # fresh, not the cached inspect: asked after a failure
        except docker.errors.NotFound:
            return ended.Ending(self.name, "is gone: its container was removed", True)
        state = self.container.attrs.get("State") or {}
        if state.get("Status") in ("running", "paused") and (cut := self.cut_off()) is not None:
            return cut
        if state.get("Status") == "paused" and not self.paused_here:  # frozen, not ended: as silent to a step
            return ended.Ending(self.name, "is paused: its container was frozen (`docker pause`)", True)
        if state.get("Status") not in ("exited", "dead"):
            return None
        if state.get("OOMKilled"):
            return ended.Ending(self.name, "was killed by the OOM killer", True)
        code = state.get("ExitCode") or 0
        return ended.from_returncode(self.name, 128 - code if code > 128 else code,  # 137: SIGKILL
                                     self.kind.outside_exits)

    def cut_off(self) -> ended.Ending | None:
        """From the inspect just made: a running container that is no longer in the run's network
        (`docker network disconnect`, or the network removed) has no address the harness or its
        peers reach; polling its old one only waits out the step's deadline."""
        network = self.backend.network_name
        if not network or network in ((self.container.attrs.get("NetworkSettings") or {}).get("Networks") or {}):
            return None
        what = "the network removed: `docker network rm`" if self.backend.network_removed() else \
            "its endpoint disconnected: `docker network disconnect`"
        return ended.Ending(self.name, f"lost its address in the run's network {network} ({what})", True, who=OUTSIDE)

    # -- addressing ------------------------------------------------------------------------------

    def url(self, role: str) -> str:
        port = self.kind.ports[role]
        if not self.backend.publish and self.name in self.backend.ips:
            # Nothing published and a fixed address: nothing to ask the engine (an inspect per node
            # at start was a third of the engine calls the harness made for 64 nodes).
            return f"http://{self.backend.ips[self.name]}:{port}"
        bindings = (self.inspect()["NetworkSettings"].get("Ports") or {}).get(f"{port}/tcp")
        if bindings:
            return f"http://{self.backend.published_host(self)}:{bindings[0]['HostPort']}"
        return f"http://{self.address()}:{port}"  # not published: the host routes to the container

    def address(self) -> str:
        if self.name in self.backend.ips:  # fixed when the network was made: no inspect
            return self.backend.ips[self.name]
        networks = self.inspect()["NetworkSettings"]["Networks"]
        ours = networks.get(self.backend.network_name or "")
        return (ours or next(iter(networks.values())))["IPAddress"]

    @property
    def rpc(self) -> RpcClient:
        """Kept (with its connections) until the next lifecycle change: host ports change on restart."""
        if self._rpc is None:
            self._rpc = RpcClient(self.url("rpc") + self.kind.rpc_path(), *self.backend.credentials_of(self),
                                  node=self.name)
        return self._rpc

    # -- lifecycle -------------------------------------------------------------------------------

    stopped_here = False  # the harness ended the container (a crash or stop step, teardown): not news
    paused_here = False  # the harness froze it (a pause step): not news either

    def start(self) -> None:
        self._forget()
        self.stopped_here = self.paused_here = False
        if self.container is None:
            self.container = self.backend.run_container(self.spec)
        else:
            self.container.start()

    def kill(self) -> None:
        self._forget()
        self.stopped_here = True
        if self.status() in ("running", "paused"):
            self.container.kill()
        self._forget()

    def stop(self) -> None:
        self._forget()
        self.stopped_here = True
        self.container.stop(timeout=10)

    def pause(self) -> None:
        self._forget()
        self.paused_here = True
        try:  # runc's cgroup v1 freezer may lose a race with an exec (the health check's): asked again
            engine_pause.freeze(self.container.pause, self.name, node=self.name)
        except BaseException:
            self.paused_here = False  # not paused by us: the engine left it running (or it was not)
            raise

    def unpause(self) -> None:
        self._forget()
        self.paused_here = False
        if self.status() == "paused":
            self.container.unpause()
        self._forget()

    def logs(self, tail: int = 20) -> list[str]:
        try:
            text = self.container.logs(tail=tail).decode(errors="replace")
        except docker.errors.DockerException:
            return []
        return [f"{self.name}| {line}" for line in text.splitlines()]

    # -- data dir --------------------------------------------------------------------------------

    def _identity_path(self) -> tuple[str, str]:
        if not self.kind.identity_file:
            raise ConfigError(f"node kind {self.kind.name!r} has no identity file")
        path = f"{self.kind.datadir}/{self.kind.identity_file}"
        return path.rsplit("/", 1)[0], path.rsplit("/", 1)[1]

    def read_identity(self) -> bytes | None:
        folder, name = self._identity_path()
        try:
            stream, _ = self.container.get_archive(f"{folder}/{name}")
        except docker.errors.NotFound:
            return None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            return tar.extractfile(name).read()

    def write_identity(self, data: bytes | None) -> None:
        folder, name = self._identity_path()
        if data is None:
            self.container.exec_run(["rm", "-f", f"{folder}/{name}"])
            return
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
        self.container.put_archive(folder, buffer.getvalue())

    # -- links -----------------------------------------------------------------------------------

    def _run_script(self, script: str) -> tuple[int, str]:
        if self.shell is None:
            self.shell = ContainerShell(self.container.client, self.container.id)  # the node's own host
        try:
            return self.shell.run(script)
        except ShellGone:
            self.shell = None
        code, output = self.container.exec_run(["sh", "-c", script])
        return code, output.decode(errors="replace")

    def set_links(self, rules: LinkRules, identities) -> str:
        addresses = self.backend.addresses()
        self.packet_filter.apply(rules, addresses)
        if self.backend.netem(self):
            code, output = self._run_script(netem_script(dict(rules.delay), addresses))
            if code != 0:
                raise ContainerError(f"netem failed on {self.name}: {output.strip()[-300:]}", node=self.name)
            return "iptables and netem in the node's namespace"
        delay = {identities[peer]: ms for peer, ms in rules.delay if peer in identities}
        if not self.kind.link_control:
            if delay:
                raise ConfigError(f"node kind {self.kind.name!r} cannot delay its links and this kernel has no netem")
            return "iptables in the node's namespace"
        if delay != self._delay_sent:  # an unchanged delay needs no call (most faults never set one)
            self.client.set_links(set(), {}, delay, rules.seed)
            self._delay_sent = delay
        return "iptables in the node's namespace; delay in the node's transport (this kernel has no netem)"


class DockerBackend(Backend):
    name = "docker"
    parallel_start = True

    def __init__(self, kind: NodeKind, image: str | None = None, project: str = "fakenet-test",
                 run: str | None = None, client: docker.DockerClient | None = None, owned: bool = True,
                 publish: bool | None = None):
        self.kind = kind
        self.client = client or engine_client()
        self.image = image
        self.project, self.run = project, run or uuid.uuid4().hex[:10]
        # Owned resources die with their process (prune takes them once it is gone); a network kept
        # for inspection (--fakenet-keep) has no owner and lives while its containers run.
        self.labels = {PROJECT_LABEL: project, RUN_LABEL: self.run, **({OWNER_LABEL: owner_value()} if owned else {})}
        self.credentials = ("fakenet", secrets.token_hex(12))
        self.secret = secrets.token_hex(32)
        self.runtimes: dict[str, DockerRuntime] = {}
        self._netem: bool | None = None
        self.network = None
        self.network_name: str | None = None
        self.ips: dict[str, str] = {}  # node -> its fixed address in the network (none on an overlay)
        self.volumes: list = []
        self.publish = publish
        self._code: dict[int, list] = {}  # id(engine client) -> its read-only code binds (fakenet/code_mounts.py)
        self._lost = SharedLook(self._look_lost, [], "whether the run's network still stands")  # lost()'s engine look

    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]:
        if self.image is None:
            self.image = self.kind.image(lambda _line: None, self.client)
        if self.publish is None:
            self.publish = not routes_to_containers(self.client)
        self.code_binds(self.client)  # before the starts' threads: a first copy is taken once
        self.network = self.create_network(len(specs))
        self.network_name = self.network.name
        self.ips = subnets.addresses(self.network, [spec.name for spec in specs])
        self.runtimes = {spec.name: DockerRuntime(self, spec) for spec in specs}
        return dict(self.runtimes)

    def create_network(self, count: int):
        return subnets.create_network(self.client, f"fakenet-{self.run}", subnets.BRIDGE_POOL, count, self.run,
                                      driver="bridge", labels=self.labels)

    def client_of(self, spec: NodeSpec) -> docker.DockerClient:
        """The engine a node runs on."""
        return self.client

    def published_host(self, runtime: DockerRuntime) -> str:
        """Where the harness reaches a node's published ports."""
        return "127.0.0.1"

    def bind_address(self, spec: NodeSpec, role: str) -> str:
        """The host address a node's port of `role` is published on: loopback only."""
        return "127.0.0.1"

    def run_container(self, spec: NodeSpec):
        client = self.client_of(spec)
        volume = client.volumes.create(f"fakenet-{self.run}-{spec.name}", labels=self.labels)
        self.volumes.append(volume)
        # Peers dial each other's fixed address where the network has them (subnets.py says why not
        # the name, which stays an alias); on a network without, the name.
        launch = Launch(spec.name, tuple((p, self.ips.get(p, p)) for p in spec.peers), self.credentials, "0.0.0.0",
                        self.kind.datadir, dict(spec.settings), self.secret, address=self.ips.get(spec.name, ""))
        fixed = {"ipv4_address": self.ips[spec.name]} if spec.name in self.ips else {}
        # Ephemeral host ports on loopback only.
        ports = {f"{self.kind.ports[role]}/tcp": (self.bind_address(spec, role), None) for role in self.kind.published} \
            if self.publish else {}
        options = {"command": command} if (command := self.kind.container_command(launch)) is not None else {}
        arguments = _create_container_args(dict(
            image=self.image, detach=True, name=f"fakenet-{self.run}-{spec.name}", hostname=spec.name,
            environment=self.kind.environment(launch), labels=self.labels, cap_add=["NET_ADMIN"], ports=ports,
            volumes={volume.name: {"bind": self.kind.datadir, "mode": "rw"}}, mounts=self.code_binds(client),
            network=self.network_name,
            networking_config={self.network_name: client.api.create_endpoint_config(
                aliases=[spec.name], **fixed)},
            version=client.api._version, **options))
        # The SDK's containers.create inspects what it made; nothing here needs that before the
        # node runs (the runtime inspects when it must), so the model starts from the id alone.
        container = client.containers.prepare_model(client.api.create_container(**arguments))
        try:
            container.start()
        except docker.errors.DockerException as exc:  # a container that never ran is no node of ours: remove it
            container.remove(force=True, v=True)
            raise ContainerError(f"{spec.name} did not start: {exc}", node=spec.name) from exc
        return container

    def code_binds(self, client: docker.DockerClient) -> list:
        """The node code's binds on this engine: asked once per engine, the copy taken once per image."""
        if id(client) not in self._code:
            self._code[id(client)] = code_mounts.docker_mounts(code_mounts.for_image(client, self.image))
        return self._code[id(client)]

    def credentials_of(self, runtime: DockerRuntime) -> tuple[str, str]:
        return self.credentials

    def netem(self, runtime: DockerRuntime) -> bool:
        """Probed once per network, in a node's own namespace (needs NET_ADMIN, as the filter does)."""
        if self._netem is None:
            self._netem = has_netem(runtime._run_script)
        return self._netem

    def addresses(self) -> dict[str, str]:
        """Every node's address for packet filters: its fixed one, known while it is down too, so its
        peers keep dropping it when it starts again behind a cut; else (an overlay) the one its
        running container has."""
        live = {name: runtime.address() for name, runtime in self.runtimes.items()
                if name not in self.ips and runtime.status() in ("running", "paused")}
        return {**self.ips, **live}

    LOOK_EVERY = 0.5  # seconds between lost()'s engine looks, however many waits poll at once

    def lost(self, fresh: bool = False, within: float | None = None) -> list[ended.Ending]:
        """What the engine says of the run's network now: removed, or missing the endpoint of a node
        the harness has running. One network inspect a look, shared by every wait that asks within
        LOOK_EVERY (64 nodes' waits on 16 threads, each polling 4 times a second, would otherwise
        ask the engine hundreds of times a second); `fresh` asks now whatever the last look's age.
        A container is inspected only once it is missing from the network. EngineSilent where the
        engine has not answered within `within` seconds (a wait's time left: shared_look.py)."""
        if self.network is None:
            return []
        return self._lost.get(self.LOOK_EVERY, fresh=fresh, within=within)

    def _look_lost(self) -> list[ended.Ending]:
        running = [runtime for runtime in self.runtimes.values() if runtime.container is not None and not runtime.stopped_here]
        if not running:  # every node stopped by a step: nothing polls them
            return []
        try:
            attrs = self.client.api.inspect_network(self.network.id)
        except docker.errors.NotFound:
            return [self.network_lost([runtime.name for runtime in running], removed=True)]
        except ENGINE_UNANSWERED:  # an engine that does not answer: the step's own error says so
            return []
        if attrs.get("Driver") != "bridge":  # an overlay lists only this engine's endpoints (hosts.py)
            return []
        attached = set(attrs.get("Containers") or {})
        cut = []
        for runtime in (runtime for runtime in running if runtime.container.id not in attached):
            try:  # stopped or removed (ended() says so after the step), or running and cut off
                runtime.container.reload()
            except ENGINE_UNANSWERED:
                continue
            networks = (runtime.container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
            if runtime.container.status in ("running", "paused") and self.network_name not in networks:
                cut.append(runtime.name)
        return [self.network_lost(cut, removed=False)] if cut else []

    def network_removed(self) -> bool:
        try:
            self.client.api.inspect_network(self.network.id if self.network is not None else self.network_name)
        except docker.errors.NotFound:
            return True
        except ENGINE_UNANSWERED:  # unknown: say the lesser
            return False
        return False

    def network_lost(self, names: list[str], removed: bool) -> ended.Ending:
        """One Ending for every node the run's network lost: the network, what happened, and to whom."""
        if removed:
            how = f"was removed (`docker network rm`) while {', '.join(names)} ran in it"
        else:
            how = f"lost the endpoint{'s' if len(names) > 1 else ''} of {', '.join(names)} (`docker network disconnect`)"
        return ended.Ending(f"network {self.network_name}", how, True, who=OUTSIDE, nodes=tuple(names))

    def close(self) -> None:
        if self.network is not None:
            containers = [runtime.container for runtime in self.runtimes.values() if runtime.container is not None]
            leave_one_at_a_time(self.network, containers)
        with ThreadPoolExecutor(8) as pool:  # removals are mostly waiting for processes to die: overlap them
            list(pool.map(self._remove_container, self.runtimes.values()))
        for volume in self.volumes:
            try:
                volume.remove(force=True)
            except docker.errors.NotFound:  # removed already (a prune of a run it took for dead)
                pass
        if self.network is not None:
            try:
                self.network.remove()
            except docker.errors.NotFound:  # removed already, by someone else mid-run (the verdict said so)
                pass

    @staticmethod
    def _remove_container(runtime: DockerRuntime) -> None:
        runtime._forget()
        if runtime.container is not None:
            try:
                runtime.container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass


def engine_client() -> docker.DockerClient:
    """The engine DOCKER_HOST names (or the default socket); one that does not answer is the
    infrastructure's failure, said in a line, not the SDK's traceback."""
    try:
        return docker.from_env()
    except (docker.errors.DockerException, OSError) as exc:  # OSError: an ssh:// engine's connect
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        raise ContainerError(f"cannot reach the Docker engine at {where}: {exc}") from exc


def routes_to_containers(client: docker.DockerClient) -> bool:
    """Whether this host reaches container addresses: a Linux engine on this machine (a unix socket),
    not Docker Desktop's VM; FAKENET_PUBLISH=1 publishes ports anyway."""
    if os.environ.get("FAKENET_PUBLISH") == "1" or not sys.platform.startswith("linux"):
        return False
    if not str(client.api.base_url).startswith("http+docker://localhost"):  # a unix socket, not tcp:// or ssh://
        return False
    return "Docker Desktop" not in (client.info().get("OperatingSystem") or "")


def leave_one_at_a_time(network, containers) -> None:
    """Disconnect the containers from `network` one after another, before they are removed.
    Docker 20.10 loses updates to a network's endpoint count when several containers leave it
    at once (parallel removals do that), and a network whose count never gets back to zero
    cannot be removed until the engine restarts; a bench run left one behind that way."""
    for container in containers:
        try:
            network.disconnect(container, force=True)
        except docker.errors.APIError:  # gone already, or not connected (stopped and released)
            pass


class AttachedBackend(DockerBackend):
    """A compose network we did not create: close() leaves its containers alone. Each node is
    logged into with the credentials in its own container's environment, as `./fake status` does."""

    def __init__(self, kind: NodeKind, project: str, client: docker.DockerClient | None = None):
        super().__init__(kind, project=project, client=client)

    def credentials_of(self, runtime: DockerRuntime) -> tuple[str, str]:
        return container_credentials(self.kind, runtime.container)

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime._forget()


def attach_compose(kind: NodeKind, project: str) -> tuple[AttachedBackend, dict[str, DockerRuntime], set[str]]:
    """Every node of the project, and which of them are not running (stopped or paused)."""
    backend = AttachedBackend(kind, project)
    found = backend.client.containers.list(all=True, ignore_removed=True, filters={"label": f"{COMPOSE_PROJECT_LABEL}={project}"})
    if not found:  # every node stopped is still a network: its logs are what `dump` is for
        raise FakenetError(f"no running network {project!r} to attach to (start one with {invocation.command(project)} up -d)")
    for container in found:
        name = container.labels[COMPOSE_SERVICE_LABEL]
        backend.runtimes[name] = DockerRuntime(backend, None, container=container, name=name)
    stopped = {c.labels[COMPOSE_SERVICE_LABEL] for c in found if c.status != "running"}
    return backend, dict(backend.runtimes), stopped
