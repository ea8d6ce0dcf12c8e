"""A throwaway container run to its end: its output, and nothing of it left behind.

docker-py's `containers.run(remove=True)` removes the container without its anonymous volumes
(`container.remove()`, no `v`): every run of an image that declares a VOLUME (the node and litecoin
images' /data) left a volume behind that no label names, so no label-based cleanup or leftover
check ever saw it (the hosts backend's encryption probe left one per engine and run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker


def run_once(client: docker.DockerClient, image: str, command: list[str], **options) -> bytes:
    """What `command` printed on stdout; docker.errors.ContainerError (with its stderr) if it exited
    non-zero. `options` are containers.create's."""
    import docker.errors  # here: image_base imports this module, and `./fake up` needs no SDK (engine_reads)

    container = client.containers.create(image, command, **options)
    try:
        container.start()
        status = container.wait()["StatusCode"]
        if status != 0:
            raise docker.errors.ContainerError(container, status, command, image,
                                               container.logs(stdout=False, stderr=True))
        return container.logs(stdout=True, stderr=False)
    finally:
        container.remove(v=True, force=True)
