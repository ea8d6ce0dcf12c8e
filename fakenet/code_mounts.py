"""The node image's Python (its venv and the standard library), bind-mounted read-only into every node
from one copy on the host, where the engine's storage driver is fuse-overlayfs.

On fuse-overlayfs every file a container opens is served by that container's own FUSE process, and
each container has a mount of its own, so nothing read by one node is cached for the next: a node
importing its ~400 modules cost 0.12 CPU seconds in its FUSE process on top of its own start
(issue 28, BENCHMARKS.md "Scale"). From a bind mount the same files come from the host's page cache,
shared by every node. The copy is taken once per image (by its id, so it is the image's exact
content) with the engine's archive API from a container that is created, never started, and removed
at once; it lives in the state directory and `fake prune` drops the copies of images that are gone.
A copy a container still mounts (running or stopped) is never removed, by prune or by a copy taken
again: its nodes import lazily, and would find their code gone (fakenet/node/code_gone.py says how
a node ends then); the engine is asked which containers' mounts name it.

Only where the host path is the engine's too: a Linux engine on this machine's unix socket, whose
host name is ours (not Docker Desktop's VM, not a client inside a container of the same engine),
and which reads back, through a bind, a token written in the copy's folder (a client in a container
with `--network host` has the host's name, not its files: _take).
Mounts name a source that must exist (the Mount API, not `-v`, which would create an empty one).
FAKENET_CODE_MOUNTS=0 turns it off; overlay2 engines have no FUSE to skip and are left as they are.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import socket
import sys
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterable, Iterator

from fakenet import engine_reads
from fakenet.errors import FakenetError
from fakenet.labels import IMAGE_LABEL, PROJECT_LABEL, RUN_LABEL
from fakenet.state import state_path

if TYPE_CHECKING:  # `./fake up` asks for its binds before it imports the SDK (known_binds)
    import docker
    import docker.types

VENV = "/opt/fakenet"  # the node's venv (compose/Dockerfile)
DRIVERS = ("fuse-overlayfs",)
SWITCH = "FAKENET_CODE_MOUNTS"
INDEX = "mounts.json"  # container path -> copy's folder name, written last: a copy without it is unfinished
# Written in a copy's folder and read back through the engine (_take): whether its host has the folder.
PROBE_TOKEN, PROBE_TARGET, PROBE_BYTES = ".engine-sees", "/fakenet-copy", 64


def code_root() -> Path:
    return state_path("code")


def for_image(client: docker.DockerClient, image: str) -> dict[str, str]:
    """Container path -> host folder to bind read-only there, for nodes of `image`; {} where not worth it."""
    binds = known_binds(engine_reads.of(client), image)
    if binds is not None:
        return binds
    return copy_of(client, engine_reads.of(client).image(image).id)


def known_binds(reads, image: str) -> dict[str, str] | None:
    """for_image's answer from read-only questions (`reads`: engine_reads), or None where the copy is
    still to be taken (for_image takes it, through the SDK)."""
    if not engine_shares_host(reads):
        return {}
    found = reads.image(image)
    if found is None:
        raise FakenetError(f"no image {image} on the engine to copy the node code from")
    if found.labels.get(IMAGE_LABEL) != "node":  # litecoin and others: their own layout
        return {}
    index = _finished(_folder(found.id))
    return None if index is None else _binds(found.id, index)


def engine_shares_host(reads) -> bool:
    """`reads`: engine_reads (engine_reads.of(client) for a docker client)."""
    if os.environ.get(SWITCH) == "0" or not sys.platform.startswith("linux"):
        return False
    if not reads.local_socket:  # tcp:// and ssh:// engines
        return False
    info = reads.info()
    return info.get("Driver") in DRIVERS and info.get("Name") == socket.gethostname() \
        and "Docker Desktop" not in (info.get("OperatingSystem") or "")


def copy_of(client: docker.DockerClient, image_id: str) -> dict[str, str]:
    """The host copy of an image's venv and standard library, taken on first use."""
    import tarfile  # not at every start of `./fake status`, `down`, `logs`: ~1.7 ms of CPU (image.py has it for `up`)

    import docker.errors

    folder = _folder(image_id)
    index = _finished(folder)
    if index is None:
        try:
            with _lock(code_root() / ".lock"):
                index = _finished(folder)
                if index is None:
                    _take(client, image_id, folder)
                    index = _finished(folder)
        except (OSError, tarfile.TarError, docker.errors.DockerException) as exc:  # a full disk, a read-only state dir
            raise FakenetError(f"could not copy the node image's code to {folder}: {exc} "
                               f"({SWITCH}=0 starts nodes without the copy)") from exc
    return _binds(image_id, index)


def _folder(image_id: str) -> Path:
    return code_root() / image_id.split(":")[-1][:16]


def _binds(image_id: str, index: dict[str, str]) -> dict[str, str]:
    return {target: str(_folder(image_id) / name) for target, name in index.items()}


def _finished(folder: Path) -> dict[str, str] | None:
    """The copy's index, if the copy is whole: an index that does not read (cut short by a crash or a
    full disk) or names a folder that is gone (removed by hand) is a copy to take again, not a bind
    that fails every node's start. An empty index: the engine does not see the folder (_take), so
    no binds."""
    try:
        index = json.loads((folder / INDEX).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or not all(isinstance(name, str) and name and (folder / name).is_dir()
                                              for name in index.values()):
        return None
    return index


def _take(client: docker.DockerClient, image_id: str, folder: Path) -> None:
    """Copy the image's code into `folder`, if the engine sees `folder` as we do; else an empty index
    (no binds: the nodes read their code from the image, as with FAKENET_CODE_MOUNTS=0).

    The engine's host name being ours is not enough: a client in a container run with `--network
    host` has the host's name but a filesystem of its own, and every node's create then failed on a
    bind whose source the engine's host has not. So the container the copy is taken from has the
    folder bound in, and a token written there is read back through the engine: once per copy."""
    # An earlier copy cut short goes, unless a container mounts it (someone removed a part of it by
    # hand): then only the parts missing are taken, and the files its nodes read stay as they are.
    in_use = folder.exists() and bool(mounted_by(client, folder))
    if not in_use:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=in_use)
    token = os.urandom(16).hex()
    (folder / PROBE_TOKEN).write_text(token)
    labels = {PROJECT_LABEL: "fakenet-code", RUN_LABEL: folder.name}
    container, bound = _create_with(client, image_id, folder, labels)
    try:
        index = {}
        if bound and _read_back(client, container, f"{PROBE_TARGET}/{PROBE_TOKEN}") == token.encode():
            index[VENV] = _part(client, container, VENV, folder, in_use)
            stdlib = stdlib_of((folder / index[VENV] / "pyvenv.cfg").read_text())
            index[stdlib] = _part(client, container, stdlib, folder, in_use)
    finally:
        client.api.remove_container(container, v=True, force=True)
    partial = folder / f"{INDEX}.partial"
    partial.write_text(json.dumps(index))
    os.replace(partial, folder / INDEX)  # whole or absent, whenever the process stops


def _create_with(client: docker.DockerClient, image_id: str, folder: Path, labels: dict) -> tuple[str, bool]:
    """A container of the image, never started, with `folder` bound read-only at PROBE_TARGET; (its id,
    True). Where the engine refuses the bind (its host has no such path) but makes the container
    without it: (that container's id, False)."""
    import docker.errors

    binds = client.api.create_host_config(mounts=docker_mounts({PROBE_TARGET: str(folder)}))
    try:
        return client.api.create_container(image_id, command=["true"], labels=labels, host_config=binds)["Id"], True
    except docker.errors.APIError as exc:
        # The engine's own trouble (a 5xx: busy, a timeout), not its refusal of the bind (400): raised, as
        # the copy's other engine errors are. Taken for a folder it cannot see, it was kept with the copy,
        # and every later node of the image went without its code binds.
        if exc.is_server_error():
            raise
        return client.api.create_container(image_id, command=["true"], labels=labels)["Id"], False


def _read_back(client: docker.DockerClient, container: str, path: str) -> bytes | None:
    """The file at `path` in the container (a bind's, for a container never started), as the engine reads it."""
    import tarfile

    import docker.errors

    try:
        stream, _ = client.api.get_archive(container, path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BufferedReader(_Chunks(stream)), mode="r|") as tar:
        for member in tar:
            found = tar.extractfile(member) if member.isfile() else None
            return found.read(PROBE_BYTES) if found else None
    return None


def stdlib_of(pyvenv_cfg: str) -> str:
    """The image's standard library from its venv's pyvenv.cfg: `home` is the interpreter's bin folder."""
    settings = {key.strip(): value.strip() for key, _, value in
                (line.partition("=") for line in pyvenv_cfg.splitlines()) if value}
    home, version = settings["home"], settings["version"]
    return str(PurePosixPath(home).parent / "lib" / f"python{'.'.join(version.split('.')[:2])}")


def _part(client: docker.DockerClient, container: str, path: str, folder: Path, in_use: bool) -> str:
    """folder/<name of path>, extracted unless a container mounts the copy and that part is there:
    extracting again would rewrite, in place, files its nodes may be reading."""
    name = PurePosixPath(path).name
    if in_use and (folder / name).is_dir():
        return name
    return _extract(client, container, path, folder)


def mounted_by(client: docker.DockerClient, folder: Path) -> list[str]:
    """The containers, running or stopped, whose mounts name `folder` or a folder in it: "name (state)".
    One listing: the engine's list of containers carries each one's mounts."""
    roots = {str(folder), str(folder.resolve())}
    found = []
    for container in client.api.containers(all=True):
        sources = [mount.get("Source") or "" for mount in container.get("Mounts") or []]
        if any(source in roots or any(source.startswith(root + "/") for root in roots) for source in sources):
            name = (container.get("Names") or [container.get("Id", "")[:12]])[0].lstrip("/")
            found.append(f"{name} ({container.get('State') or 'unknown'})")
    return sorted(found)


def _extract(client: docker.DockerClient, container: str, path: str, folder: Path) -> str:
    """Unpack `path` of the container into folder/<its name>; that name."""
    import tarfile

    stream, _ = client.api.get_archive(container, path)
    with tarfile.open(fileobj=io.BufferedReader(_Chunks(stream)), mode="r|") as tar:
        # Our own image, but no member outside `folder` all the same (Python before 3.11.4 has no filters).
        tar.extractall(folder, **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))
    return PurePosixPath(path).name


def docker_mounts(paths: dict[str, str]) -> list[docker.types.Mount]:
    """For the SDK: read-only binds whose source must exist."""
    import docker.types

    return [docker.types.Mount(target, source, type="bind", read_only=True) for target, source in paths.items()]


def compose_volumes(paths: dict[str, str]) -> list[dict]:
    """For a compose service: the same binds in the long syntax (the short one creates a missing source).
    `$` doubled: compose interpolates variables in every value, and a path is taken as it is."""
    return [{"type": "bind", "source": source.replace("$", "$$"), "target": target, "read_only": True,
             "bind": {"create_host_path": False}} for target, source in paths.items()]


class _Chunks(io.RawIOBase):
    """The archive as the engine streams it, read as a file."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks, self._rest = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
        size = min(len(buffer), len(self._rest))
        buffer[:size], self._rest = self._rest[:size], self._rest[size:]
        return size


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One copy at a time on this machine (pytest-xdist workers start networks together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def prune(client: docker.DockerClient) -> tuple[list[str], dict[str, list[str]]]:
    """Remove the copies of images no longer on the engine but those a container still mounts (its
    image removed with `docker rmi -f`, or a stopped node kept): (folder names removed, {folder name
    kept: the containers that mount it})."""
    if not code_root().is_dir():
        return [], {}
    removed, kept = [], {}
    with _lock(code_root() / ".lock"):  # listed under the lock too: a copy being taken is of a present image
        present = {image.id.split(":")[-1][:16] for image in client.images.list(filters={"label": f"{IMAGE_LABEL}=node"})}
        for folder in sorted(code_root().iterdir()):
            if not folder.is_dir() or folder.name in present:
                continue
            users = mounted_by(client, folder)
            if users:
                kept[folder.name] = users
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed, kept
