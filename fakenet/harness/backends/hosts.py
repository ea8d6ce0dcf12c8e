"""The hosts backend: the docker backend's containers spread over several Docker engines, one overlay.

Why a backend of its own rather than a `hosts=` option of docker: what differs is exactly what a
backend owns — which engine runs a node, the network (a swarm overlay instead of a bridge),
where images come from, how the harness reaches a node, and what cleanup means — while each
container is made by the docker backend's own code (run_container, today's names, aliases,
labels and NET_ADMIN) through the chosen host's client. A one-host run stays a bridge network
with no swarm at all.

    hosts      {name: engine URL}, a list of known host names or URLs, or None: every host of
               `fake hosts ls` ("local", this machine's engine, is the swarm manager)
    placement  {node: host} (default: $FAKENET_PLACEMENT, node=host,…); the other nodes go
               round-robin over the hosts, in order
    reach      {host: address} where the harness reaches a host's published ports, where not at
               the engine URL's host name (an engine in a container: its bridge address)
    advertise  the swarm manager's address as the other engines reach it (default
               $FAKENET_SWARM_ADVERTISE, else this machine's source address towards them)

Per run: the node image is built (or found) on the first host, checked on every other host by
its content-hash tag, and streamed there (`save | load`) where missing; one attachable overlay
with an explicit /24, labelled with the run; lifecycle faults, execs and link rules go through
the node's own host's client (a container object carries it). Published ports bind to 127.0.0.1
on this machine's engines. On a remote one only the roles that take credentials (the kind's
`authenticated`: RPC and cluster for fakenet, with the run's random credentials) bind to every
address, as the harness must reach them; the rest (7007, 5011: no authentication) stay on that
engine's loopback, reached over ssh (`ssh -L`) if at all. Peers meet on the overlay.

The overlay is encrypted (Docker's `encrypted` option: IPsec ESP with AES-GCM between the
engines) where every engine of the run can: `overlay_encryption` / $FAKENET_OVERLAY_ENCRYPTION
"auto" (default) probes each engine by adding an ESP AES-GCM state in a throwaway network namespace
from the node image; "on" encrypts without asking, "off" never does. A kernel built without ESP
(CONFIG_INET_ESP) or GCM, as this project's CI machine's, gets an unencrypted overlay and a
warning naming the engine. Close removes containers host by host, volumes, then the overlay,
then the swarm if fakenet made it for runs and no other run's overlay is left.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import cycle
from typing import Callable, Mapping

import os
import warnings

import docker
import docker.errors

from fakenet import host_registry as known_hosts
from fakenet.container_once import run_once
from fakenet.errors import ConfigError, ContainerError, FakenetError
from fakenet.harness.backends import reachability, swarm
from fakenet.harness.backends.base import NodeRuntime, NodeSpec
from fakenet.harness.backends.docker import DockerBackend, DockerRuntime, leave_one_at_a_time
from fakenet.harness.waits import wait_for
from fakenet.kinds.base import NodeKind

STREAM_CHUNK = 4 << 20
OVERLAY_TIMEOUT = 30.0
PLACEMENT_ENV = "FAKENET_PLACEMENT"  # `fake scenario run --placement` sets it: node=host,node2=host2
ENCRYPTION_ENV = "FAKENET_OVERLAY_ENCRYPTION"  # auto (default), on, off
ENCRYPTION_MODES = ("auto", "on", "off")
PING_TIMEOUT = 10  # seconds an engine has to answer before a run gives up on its host
# What Docker programs for an encrypted overlay (transport-mode ESP, rfc4106 AES-GCM), tried in a
# network namespace of its own that disappears with the probe container.
ESP_PROBE = ["xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp", "spi", "0x100",
             "mode", "transport", "aead", "rfc4106(gcm(aes))", "0x" + "11" * 20, "128"]
_esp_by_engine: dict[tuple[str, str], bool] = {}  # (engine ID, kernel version) -> the probe's answer


def encryption_mode(value: str | None) -> str:
    mode = (value or "auto").strip().lower()
    if mode not in ENCRYPTION_MODES:
        raise ConfigError(f"overlay encryption is one of {', '.join(ENCRYPTION_MODES)}, not {value!r}")
    return mode


def encrypt_overlay(mode: str, supports: Callable[[str], bool], hosts: list[str]) -> tuple[bool, list[str]]:
    """(encrypt?, the hosts that cannot): "auto" encrypts only when every host of the run can."""
    if mode != "auto":
        return mode == "on", []
    unable = [host for host in hosts if not supports(host)]
    return not unable, unable


def parse_placement(text: str) -> dict[str, str]:
    placement = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        node, _, host = item.partition("=")
        if not node or not host:
            raise ConfigError(f"placement is NODE=HOST,…, not {item!r}")
        placement[node.strip()] = host.strip()
    return placement


def check_placement(placement: Mapping[str, str], urls) -> None:
    """Every host a placement names is one of the run's hosts (by name), or a ConfigError that lists them."""
    unknown = sorted(set(placement.values()) - set(urls))
    if unknown:
        raise ConfigError(f"placement names unknown host(s) {', '.join(unknown)} (hosts: {', '.join(urls)})")


class HostsBackend(DockerBackend):
    name = "hosts"

    def __init__(self, kind: NodeKind, hosts: Mapping[str, str] | list[str] | None = None,
                 placement: Mapping[str, str] | None = None, image: str | None = None, project: str = "fakenet-test",
                 run: str | None = None, owned: bool = True, progress: Callable[[str], None] | None = None,
                 reach: Mapping[str, str] | None = None, advertise: str | None = None,
                 overlay_encryption: str | None = None):
        self.urls = known_hosts.resolve(hosts)
        self.encryption = encryption_mode(overlay_encryption or os.environ.get(ENCRYPTION_ENV))
        if not self.urls:
            raise ConfigError("the hosts backend needs at least one host")
        self.placement = dict(placement if placement is not None else parse_placement(os.environ.get(PLACEMENT_ENV, "")))
        check_placement(self.placement, self.urls)
        self.reach = {**known_hosts.reach_of(self.urls), **dict(reach or {})}  # as given, else as `hosts add` recorded
        unknown = sorted(set(self.reach) - set(self.urls))
        if unknown:
            raise ConfigError(f"reach names unknown host(s) {', '.join(unknown)} (hosts: {', '.join(self.urls)})")
        self.advertise = advertise or os.environ.get(swarm.ADVERTISE_ENV) or None
        self.progress = progress or (lambda _line: None)
        self.clients = dict(zip(self.urls, _parallel(answering, list(self.urls.items()))))
        self._reached: set[str] = set()  # hosts whose published ports the harness has reached
        self.manager_name = next(iter(self.urls))
        super().__init__(kind, image=image, project=project, run=run, client=self.clients[self.manager_name],
                         owned=owned, publish=True)  # overlay addresses are not routable from this host
        self.placed: dict[str, str] = {}
        self._joined = False

    # -- placement ----------------------------------------------------------------------------------

    def place(self, names: list[str]) -> dict[str, str]:
        """node -> host: as `placement` says, the rest round-robin over the hosts in order."""
        unknown = sorted(set(self.placement) - set(names))
        if unknown:
            raise ConfigError(f"placement names unknown node(s) {', '.join(unknown)} (nodes: {', '.join(names)})")
        turns = cycle(self.urls)
        return {name: self.placement.get(name) or next(turns) for name in names}

    def groups(self) -> list[list[str]]:
        """The nodes of each host that has any: a partition "by host" is `net.partition(backend.groups())`."""
        return [[n for n, h in self.placed.items() if h == host] for host in self.urls
                if any(h == host for h in self.placed.values())]

    # -- creation -----------------------------------------------------------------------------------

    def create(self, specs: list[NodeSpec]) -> dict[str, NodeRuntime]:
        self.placed = self.place([spec.name for spec in specs])
        used = [host for host in self.urls if host in self.placed.values()]
        if self.image is None:
            self.image = self.kind.image(self.progress, self.client)
        distribute(self.image, self.client, {h: self.clients[h] for h in used if h != self.manager_name}, self.progress)
        workers = [self.clients[h] for h in used if h != self.manager_name]
        remote = [known_hosts.address_of(self.urls[h]) for h in used if not known_hosts.is_loopback(self.urls[h])]
        encrypted = self._decide_encryption(used)
        with swarm.swarm_lock(self.client):
            swarm.ensure(self.client, workers, advertise=self.advertise or swarm.advertise_address(remote))
            self._joined = True
            self.network = swarm.create_overlay(self.client, f"fakenet-{self.run}", self.labels, self.run, len(specs),
                                                encrypted=encrypted)
        self.network_name = self.network.name
        # No fixed addresses here: Docker 20.10 times out attaching a standalone container to an
        # attachable overlay at a given address ("context deadline exceeded"). Peers dial names.
        self.ips = {}
        self.runtimes = {spec.name: DockerRuntime(self, spec) for spec in specs}
        return dict(self.runtimes)

    def _decide_encryption(self, used: list[str]) -> bool:
        if len(used) < 2:
            return False  # one engine: the overlay never leaves it
        encrypted, unable = encrypt_overlay(self.encryption, self._supports_esp, used)
        if unable:
            message = (f"the overlay is NOT encrypted: {', '.join(unable)} cannot program IPsec ESP with "
                       f"AES-GCM (kernel without CONFIG_INET_ESP / CONFIG_CRYPTO_GCM); {ENCRYPTION_ENV}=off "
                       f"silences this")
            self.progress(f"warning: {message}")
            warnings.warn(message, stacklevel=2)
        return encrypted

    def _supports_esp(self, host: str) -> bool:
        """Probed once per engine and kernel in this process: a container start each (~0.2 CPU s on the
        engine), and two hosts of a run may be one engine (a second client over ssh)."""
        info = self.clients[host].info()
        engine = (info["ID"], info["KernelVersion"])
        if engine not in _esp_by_engine:
            try:
                run_once(self.clients[host], self.image, ESP_PROBE, entrypoint="ip", cap_add=["NET_ADMIN"],
                         network_mode="none", labels=self.labels)
                _esp_by_engine[engine] = True
            except docker.errors.ContainerError:  # the kernel said no: so it stays while it runs
                _esp_by_engine[engine] = False
            except docker.errors.APIError:  # the engine did not get to ask it: no answer to keep
                return False
        return _esp_by_engine[engine]

    def client_of(self, spec: NodeSpec) -> docker.DockerClient:
        return self.clients[self.placed[spec.name]]

    def bind_address(self, spec: NodeSpec, role: str) -> str:
        """127.0.0.1 on this machine's engines; beyond a remote engine's loopback only what takes credentials."""
        host = self.placed[spec.name]
        on_this_machine = host not in self.reach and known_hosts.is_loopback(self.urls[host])
        return "0.0.0.0" if not on_this_machine and role in self.kind.authenticated else "127.0.0.1"

    def run_container(self, spec: NodeSpec):
        """The docker backend's container; the first on each host also proves the harness reaches it."""
        container = super().run_container(spec)
        host = self.placed[spec.name]
        if host not in self._reached:
            self._check_reach(host, container)
            self._reached.add(host)
        return container

    def _check_reach(self, host: str, container) -> None:
        container.reload()
        bindings = [b for b in (container.attrs["NetworkSettings"].get("Ports") or {}).values() if b]
        if bindings:
            address = self.reach.get(host) or known_hosts.address_of(self.urls[host])
            reachability.check(host, address, int(bindings[0][0]["HostPort"]))

    def published_host(self, runtime: DockerRuntime) -> str:
        host = self.placed[runtime.name]
        return self.reach.get(host) or known_hosts.address_of(self.urls[host])

    # -- cleanup --------------------------------------------------------------------------------------

    def close(self) -> None:
        """Every stage runs even after one failed (what it could not remove, prune takes later); the
        first failure is raised at the end."""
        def remove_containers():
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(self._remove_container, self.runtimes.values()))

        def remove_volumes():
            for volume in self.volumes:
                volume.remove(force=True)

        failures = []
        for stage in (self._leave_overlay, remove_containers, remove_volumes, self._remove_overlay):
            try:
                stage()
            except (docker.errors.DockerException, FakenetError) as exc:
                failures.append(exc)
        for client in self.clients.values():
            client.close()
        if failures:
            raise ContainerError(f"cleanup on the hosts left something: {failures[0]}") from failures[0]

    def _leave_overlay(self) -> None:
        """Each host's containers leave the overlay through their own engine, one at a time."""
        if self.network is None:
            return
        for host, client in self.clients.items():
            containers = [r.container for r in self.runtimes.values()
                          if r.container is not None and self.placed.get(r.name) == host]
            if containers:
                try:
                    leave_one_at_a_time(client.networks.get(self.network_name), containers)
                except docker.errors.NotFound:  # the worker has forgotten the overlay already
                    pass

    def _remove_overlay(self) -> None:
        if not self._joined:
            return
        workers = [c for h, c in self.clients.items() if h != self.manager_name and h in self.placed.values()]
        with swarm.swarm_lock(self.client):
            if self.network is not None:
                network_id = self.network.id
                # A worker's attachment task outlives its container by a moment: "in use by task".
                wait_for(self._overlay_removed, bool, timeout=OVERLAY_TIMEOUT, retry_on=(docker.errors.APIError,),
                         expected=f"overlay {self.network_name} removed (no task of any host uses it)")
                self.network = None
                # The manager's removal reaches a worker's own copy of the overlay later, through the
                # swarm's dispatcher; until then that engine still lists it (a CI run found it there
                # right after close). Close returns when no engine of the run holds it.
                wait_for(lambda: self._holding(network_id, workers), lambda held: not held, timeout=OVERLAY_TIMEOUT,
                         retry_on=(docker.errors.APIError,),
                         expected=f"overlay {self.network_name} gone from every worker engine")
            swarm.release(self.client, workers)

    def _holding(self, network_id: str, workers: list[docker.DockerClient]) -> list[str]:
        """The worker engines that still list the overlay."""
        return [client.api.base_url for client in workers if client.networks.list(filters={"id": network_id})]

    def _overlay_removed(self) -> bool:
        try:
            self.network.remove()
        except docker.errors.NotFound:
            pass
        return True


def distribute(tag: str, source: docker.DockerClient, targets: Mapping[str, docker.DockerClient],
               progress: Callable[[str], None]) -> list[str]:
    """Make `tag` present on every target engine: checked by its content-hash tag, streamed from `source`
    (`docker save | docker load`) where missing. Returns the hosts it was streamed to."""
    source_engine = source.info()["ID"]
    streamed = []
    for name, target in targets.items():
        if target.info()["ID"] == source_engine or _has_image(target, tag):
            continue
        progress(f"{name}: streaming {tag} (save | load)")
        target.images.load(_counted(source.images.get(tag).save(chunk_size=STREAM_CHUNK, named=True), name, progress))
        if not _has_image(target, tag):
            raise ContainerError(f"streaming {tag} to host {name} did not leave the image there")
        streamed.append(name)
    return streamed


def _has_image(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def _counted(chunks, host: str, progress: Callable[[str], None]):
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        if sent // (64 << 20) != (sent - len(chunk)) // (64 << 20):
            progress(f"{host}: {sent >> 20} MiB sent")
        yield chunk
    progress(f"{host}: {sent >> 20} MiB sent, loading")


def answering(item: tuple[str, str]) -> docker.DockerClient:
    """A client of host `name` whose engine has answered a ping within PING_TIMEOUT seconds: an
    unreachable host fails the run before anything is created, naming the host."""
    name, url = item
    try:
        probe = known_hosts.client(url, timeout=PING_TIMEOUT)
        try:
            probe.ping()
        finally:
            probe.close()
    except (docker.errors.DockerException, FakenetError, OSError) as exc:
        raise ConfigError(f"host {name} ({url}) does not answer within {PING_TIMEOUT} s: {exc} "
                          f"(`fake hosts ls` lists the hosts; `--hosts` picks the ones a run uses)") from exc
    return known_hosts.client(url)


def _parallel(function, items: list):
    with ThreadPoolExecutor(max(1, min(8, len(items)))) as pool:
        return list(pool.map(function, items))
