"""Remove what fakenet left behind: every labelled container, network and volume no live network owns.

A network is live when one of its containers is running and, for harness runs (which label
their owner process), that process is still alive on this host. A test worker killed with
SIGKILL therefore leaves nothing that the next prune does not take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import docker

from fakenet.labels import COMPOSE_RUN, IMAGE_LABEL, OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_alive

COMPOSE_GRACE = timedelta(minutes=2)


@dataclass
class Pruned:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes)


def _key(labels: dict) -> tuple[str, str]:
    return labels.get(PROJECT_LABEL, ""), labels.get(RUN_LABEL, "")


def _live(container) -> bool:
    owner = container.labels.get(OWNER_LABEL)
    if owner:  # a harness run is live while its process is, whatever state its faults left nodes in
        return owner_alive(owner)
    return container.status in ("running", "paused", "restarting")


def live_networks(client: docker.DockerClient) -> set[tuple[str, str]]:
    return {_key(c.labels) for c in _containers(client, {"label": PROJECT_LABEL}) if _live(c)}


def _containers(client: docker.DockerClient, filters: dict) -> list:
    """The listing inspects each container in turn; one another run removes meanwhile is skipped, not
    an error. Retrying the whole listing (3 times) was not enough beside 8 checkouts' test runs: every
    try met a removal, and the start-up prune was skipped ("404 No such container")."""
    return client.containers.list(all=True, filters=filters, ignore_removed=True)


def _created(attrs: dict) -> datetime | None:
    text = attrs.get("Created") or attrs.get("CreatedAt") or ""
    try:
        return datetime.fromisoformat(text[:26].rstrip("Z") + "+00:00" if "T" in text else text)
    except ValueError:
        return None


def _young(attrs: dict) -> bool:
    """Compose creates the network and volumes before its containers run: give a network that
    is being brought up (maybe by another `./fake up` right now) time to start."""
    created = _created(attrs)
    return created is not None and datetime.now(timezone.utc) - created < COMPOSE_GRACE


def _remove(resource, **options) -> bool:
    try:
        resource.remove(**options)
    except docker.errors.NotFound:
        return False  # someone else removed it first
    except docker.errors.APIError:
        return False  # still in use: a live network holds it
    return True


def prune(client: docker.DockerClient, project: str | None = None, keep_compose: bool = False) -> Pruned:
    """Remove dead fakenet resources (of one project, or all); returns what went. `keep_compose`: spare
    `./fake up` projects (a test session's prune: a developer's network stopped with `./fake stop` is
    theirs, not what a killed run left, and went with its chain and identities at the next `pytest`)."""
    live, done = live_networks(client), Pruned()
    label_filter = {"label": f"{PROJECT_LABEL}={project}" if project else PROJECT_LABEL}

    def dead(labels: dict, attrs: dict) -> bool:
        owner = labels.get(OWNER_LABEL)
        if owner:
            return not owner_alive(owner)
        if keep_compose and labels.get(RUN_LABEL) == COMPOSE_RUN:
            return False
        return _key(labels) not in live and not _young(attrs)

    for container in _containers(client, label_filter):
        if dead(container.labels, container.attrs) and _remove(container, force=True, v=True):
            done.containers.append(container.name)
    for network in client.networks.list(filters=label_filter):  # the listing alone: nothing to vanish under it
        if dead(network.attrs.get("Labels") or {}, network.attrs) and _remove(network):
            done.networks.append(network.name)
    for volume in client.volumes.list(filters=label_filter):
        if dead(volume.attrs.get("Labels") or {}, volume.attrs) and _remove(volume, force=True):
            done.volumes.append(volume.name)
    return done


def prune_hosts(project: str | None = None) -> dict[str, Pruned]:
    """prune() on every known host (`fake hosts ls`), this machine's engine last: it holds the overlays,
    which go once no host's container uses them; then the swarm, if fakenet made it for runs."""
    from fakenet import host_registry as hosts
    from fakenet.harness.backends import swarm

    from fakenet.errors import FakenetError

    clients = {}
    for name, url in hosts.load().items():
        try:
            clients[name] = hosts.client(url)
        except FakenetError as exc:  # one unreachable host must not keep the others dirty
            if name == hosts.LOCAL:
                raise
            print(f"fake prune: skipped {name}: {exc}")
    done = {name: prune(client, project) for name, client in clients.items() if name != hosts.LOCAL}
    done[hosts.LOCAL] = prune(clients[hosts.LOCAL], project)
    with swarm.swarm_lock(clients[hosts.LOCAL]):
        swarm.release(clients[hosts.LOCAL], [c for name, c in clients.items() if name != hosts.LOCAL])
    return done


IMAGE_LABELS = ("node", "litecoin")  # IMAGE_LABEL values of the content-hashed images fakenet builds


def prune_images(client: docker.DockerClient, keep: str | None = None) -> list[str]:
    """Remove node and litecoin images other than `keep` that no container uses: every source change
    makes a new content-hashed tag, and the old ones would pile up. Of each repository the newest
    stays unless `keep` is one of its tags; an image in use is left alone."""
    removed = []
    for label in IMAGE_LABELS:
        removed.extend(_prune_labelled(client, label, keep))
    return removed


def _prune_labelled(client: docker.DockerClient, label: str, keep: str | None) -> list[str]:
    images = sorted(client.images.list(filters={"label": f"{IMAGE_LABEL}={label}"}),
                    key=lambda image: image.attrs.get("Created", ""), reverse=True)
    if not any(keep in image.tags for image in images):
        keep = next((tag for image in images[:1] for tag in image.tags), None)  # default: the newest
    removed = []
    for image in images:
        if keep in image.tags:
            continue
        try:
            client.images.remove(image.id, noprune=False)
        except docker.errors.APIError:  # in use by a container (another project, a kept run)
            continue
        removed.extend(image.tags or [image.short_id])
    return removed
