"""The docker backend: one container per node on a network of its own (testcontainers + docker SDK).

Every container, network and volume carries the fakenet labels (project, run, owner process)
and is removed on close; testcontainers' reaper is disabled (its image cannot be pulled here)
and `fake prune` / the pytest plugin take its place. Host ports are ephemeral and bound to
127.0.0.1. Links are cut with iptables inside the node's own namespace (NET_ADMIN); delay goes
through the node's transport, as this kernel has no netem.
"""

from __future__ import annotations

import io
import os
import secrets
import tarfile
import uuid
from concurrent.futures import ThreadPoolExecutor

import docker
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network as TcNetwork

from fakenet.harness.api import ApiClient
from fakenet.harness.backends.base import Backend, LinkRules, NodeRuntime, NodeSpec
from fakenet.harness.backends.container_shell import ContainerShell, ShellGone
from fakenet.errors import ContainerError
from fakenet.harness.backends.linkfilter import PacketFilter, has_netem, netem_script
from fakenet.harness.rpc import RpcClient
from fakenet.prune import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value

PUBLISHED = ("6433/tcp", "7007/tcp", "5011/tcp", "9094/tcp")


class DockerRuntime(NodeRuntime):
    def __init__(self, backend: DockerBackend, spec: NodeSpec | None, container=None, name: str | None = None):
        self.backend, self.spec = backend, spec
        self.name = name or spec.name
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

    # -- addressing ------------------------------------------------------------------------------

    def _host_url(self, port: str) -> str:
        bindings = (self.inspect()["NetworkSettings"].get("Ports") or {}).get(port)
        if bindings:
            return f"http://127.0.0.1:{bindings[0]['HostPort']}"
        return f"http://{self.address()}:{port.split('/')[0]}"  # an attached compose node without published ports

    def address(self) -> str:
        networks = self.inspect()["NetworkSettings"]["Networks"]
        return next(iter(networks.values()))["IPAddress"]

    @property
    def rpc(self) -> RpcClient:
        return RpcClient(self._host_url("6433/tcp") + "/", *self.backend.credentials, node=self.name)

    @property
    def api(self) -> ApiClient:
        return ApiClient(self._host_url("7007/tcp"), self.name)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._forget()
        if self.container is None:
            self.container = self.backend.run_container(self.spec)
        else:
            self.container.start()

    def kill(self) -> None:
        self._forget()
        if self.status() in ("running", "paused"):
            self.container.kill()
        self._forget()

    def stop(self) -> None:
        self._forget()
        self.container.stop(timeout=10)

    def pause(self) -> None:
        self._forget()
        self.container.pause()

    def unpause(self) -> None:
        self._forget()
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

    def read_config(self) -> bytes | None:
        try:
            stream, _ = self.container.get_archive("/data/config")
        except docker.errors.NotFound:
            return None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            return tar.extractfile("config").read()

    def write_config(self, data: bytes | None) -> None:
        if data is None:
            self.container.exec_run(["rm", "-f", "/data/config"])
            return
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo("config")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        self.container.put_archive("/data", buffer.getvalue())

    # -- links -----------------------------------------------------------------------------------

    def _run_script(self, script: str) -> tuple[int, str]:
        if self.shell is None:
            self.shell = ContainerShell(self.backend.client, self.container.id)
        try:
            return self.shell.run(script)
        except ShellGone:
            self.shell = None
        code, output = self.container.exec_run(["sh", "-c", script])
        return code, output.decode(errors="replace")

    def set_links(self, rules: LinkRules) -> str:
        addresses = self.backend.addresses()
        self.packet_filter.apply(rules, addresses)
        if self.backend.netem(self):
            code, output = self._run_script(netem_script(dict(rules.delay), addresses))
            if code != 0:
                raise ContainerError(f"netem failed on {self.name}: {output.strip()[-300:]}", node=self.name)
            return "iptables and netem in the node's namespace"
        delay = dict(rules.delay)
        if delay != self._delay_sent:  # an unchanged delay needs no call (most faults never set one)
            self.rpc.setlinkfilter([], {}, delay)
            self._delay_sent = delay
        return "iptables in the node's namespace; delay in the node's transport (this kernel has no netem)"


class DockerBackend(Backend):
    name = "docker"

    def __init__(self, image: str | None = None, project: str = "fakenet-test", run: str | None = None,
                 client: docker.DockerClient | None = None, owned: bool = True, **_ignored):
        testcontainers_config.ryuk_disabled = True  # Ryuk cannot be pulled; we clean up ourselves
        self.client = client or docker.from_env()
        self.image = image
        self.project, self.run = project, run or uuid.uuid4().hex[:10]
        # Owned resources die with their process (prune takes them once it is gone); a network kept
        # for inspection (--fakenet-keep) has no owner and lives while its containers run.
        self.labels = {PROJECT_LABEL: project, RUN_LABEL: self.run, **({OWNER_LABEL: owner_value()} if owned else {})}
        self.credentials = ("fakenet", secrets.token_hex(12))
        self.runtimes: dict[str, DockerRuntime] = {}
        self._netem: bool | None = None
        self.network: TcNetwork | None = None
        self.volumes: list = []

    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]:
        if self.image is None:
            from fakenet.image import ensure_image

            self.image = ensure_image(progress=lambda _line: None)
        self.network = TcNetwork(docker_network_kw={"labels": self.labels}).create()
        self.runtimes = {spec.name: DockerRuntime(self, spec) for spec in specs}
        return dict(self.runtimes)

    def run_container(self, spec: NodeSpec):
        volume = self.client.volumes.create(f"fakenet-{self.run}-{spec.name}", labels=self.labels)
        self.volumes.append(volume)
        env = {"FAKENET_BIND": "0.0.0.0", "FAKENET_NODE_NAME": spec.name,
               "FAKENET_PEERS": " ".join(f"/dns4/{p}/tcp/4011" for p in spec.peers),
               "FAKENET_RPCUSER": self.credentials[0], "FAKENET_RPCPASSWORD": self.credentials[1],
               **{f"FAKENET_{key}": str(value) for key, value in spec.settings.items()}}
        container = (DockerContainer(self.image).with_envs(**env).with_network(self.network)
                     .with_network_aliases(spec.name).with_name(f"fakenet-{self.run}-{spec.name}")
                     .with_volume_mapping(volume.name, "/data", "rw")
                     .with_kwargs(labels=self.labels, hostname=spec.name, cap_add=["NET_ADMIN"]))
        # Ephemeral host ports on loopback only: testcontainers' helpers would bind 0.0.0.0.
        container.ports.update({port: ("127.0.0.1", None) for port in PUBLISHED})
        container.start()
        return container.get_wrapped_container()

    def netem(self, runtime: DockerRuntime) -> bool:
        """Probed once per network, in a node's own namespace (needs NET_ADMIN, as the filter does)."""
        if self._netem is None:
            self._netem = has_netem(runtime._run_script)
        return self._netem

    def addresses(self) -> dict[str, str]:
        return {name: runtime.address() for name, runtime in self.runtimes.items()
                if runtime.status() in ("running", "paused")}

    def close(self) -> None:
        if self.network is not None:
            containers = [runtime.container for runtime in self.runtimes.values() if runtime.container is not None]
            leave_one_at_a_time(self.client.networks.get(self.network.id), containers)
        with ThreadPoolExecutor(8) as pool:  # removals are mostly waiting for processes to die: overlap them
            list(pool.map(self._remove_container, self.runtimes.values()))
        if self.network is not None:
            self.network.remove()
        for volume in self.volumes:
            volume.remove(force=True)

    @staticmethod
    def _remove_container(runtime: DockerRuntime) -> None:
        runtime._forget()
        if runtime.container is not None:
            try:
                runtime.container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass


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
    """A compose network we did not create: close() leaves its containers alone."""

    def __init__(self, project: str, client: docker.DockerClient | None = None):
        super().__init__(project=project, client=client)
        self.credentials = (os.environ.get("FAKENET_RPCUSER", "fakenet"), os.environ.get("FAKENET_RPCPASSWORD", "fakenet"))

    def close(self) -> None:
        pass


def attach_compose(project: str) -> tuple[AttachedBackend, dict[str, DockerRuntime]]:
    backend = AttachedBackend(project)
    found = backend.client.containers.list(filters={"label": f"com.docker.compose.project={project}"})
    if not found:
        from fakenet.errors import FakenetError

        raise FakenetError(f"no running network {project!r} to attach to (start one with ./fake up -d)")
    for container in found:
        name = container.labels["com.docker.compose.service"]
        backend.runtimes[name] = DockerRuntime(backend, None, container=container, name=name)
    return backend, dict(backend.runtimes)
