"""The node image, `fakenet-node:<content hash>`, built only when no image of that hash exists.

The hash covers everything that goes into the image (compose/Dockerfile, pyproject.toml and
so the deps, every file of the fakenet package, the base image's id), so an image built
from older sources is never run: it simply carries another tag.

The build context is assembled in memory, never the whole repo:

    Dockerfile
    wheels/*.whl, wheels/requirements.txt         third-party layer, cached while deps don't change
    src/pyproject.toml, src/README.md, src/fakenet/   the package itself, the last layer

Helpers: image_base (local / pulled / bootstrapped base), image_apt (the host's apt mirror),
image_wheels (the host-side wheelhouse).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import tarfile
import tomllib
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import docker
import docker.errors

import fakenet
from fakenet.errors import ContainerError
from fakenet.image_base import BaseImage, base_python, local_image_id, resolve_base
from fakenet.image_wheels import ensure_wheelhouse, project_requirements, wheel_arch

__all__ = ["IMAGE_REPO", "SOURCE_HASH_LABEL", "build_inputs", "content_hash", "ensure_image", "image_tag", "repo_root"]

IMAGE_REPO = "fakenet-node"
SOURCE_HASH_LABEL = "io.fakenet.source-hash"
# Bump when the image is assembled differently in ways the hashed files don't show.
_RECIPE = "fakenet-node-image/1"

Progress = Callable[[str], None]


def ensure_image(
    progress: Progress = print, base_image: str | None = None, *, client: docker.DockerClient | None = None
) -> str:
    """The tag of an up-to-date node image, building it first if it does not exist yet.

    `base_image` overrides $FAKENET_BASE_IMAGE, which overrides python:3.11-slim. Concurrent
    callers (pytest-xdist workers) wait for one another instead of building twice.
    """
    root = repo_root()
    try:
        client = client or docker.from_env()
        with _build_lock(root / ".cache"):
            return _ensure_locked(client, root, base_image, progress)
    except docker.errors.DockerException as err:
        raise ContainerError(f"container engine failed while preparing the node image: {err}") from err


def _ensure_locked(client: docker.DockerClient, root: Path, base_image: str | None, progress: Progress) -> str:
    base = resolve_base(client, progress, base_image)
    inputs = build_inputs(root)
    source_hash = content_hash(inputs, base.id)
    tag = image_tag(source_hash)
    if local_image_id(client, tag):
        return tag
    progress(f"building {tag} on {base.ref}")
    requirements = project_requirements(tomllib.loads(inputs["src/pyproject.toml"].decode()))
    arch, python = wheel_arch(client.version()["Arch"]), base_python(client, base)
    wheels = ensure_wheelhouse(root / ".cache" / "wheelhouse", requirements, arch, python, progress)
    build_image(client, context_tar(inputs, wheels, requirements), tag, base, source_hash, progress)
    # Stale tags are left to `./fake prune`: deleting images here could pull layers from under
    # a build another checkout is running on the same engine.
    return tag


def repo_root() -> Path:
    """The source checkout this fakenet was imported from; the image is built from it."""
    root = Path(fakenet.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "compose" / "Dockerfile").is_file():
        raise ContainerError(f"the node image is built from a fakenet source checkout; none at {root}")
    return root


def build_inputs(root: Path) -> dict[str, bytes]:
    """Every file the image is made of, by its path in the build context."""
    files = {"Dockerfile": root / "compose" / "Dockerfile", "src/pyproject.toml": root / "pyproject.toml"}
    if (root / "README.md").is_file():
        files["src/README.md"] = root / "README.md"
    for path in sorted((root / "fakenet").rglob("*")):
        if path.is_file() and _is_package_file(path.relative_to(root)):
            files[f"src/{path.relative_to(root).as_posix()}"] = path
    return {name: path.read_bytes() for name, path in files.items()}


def _is_package_file(relative: Path) -> bool:
    """Not bytecode, not hidden (editor swap files), nothing inside __pycache__."""
    return relative.suffix not in (".pyc", ".pyo") and not any(
        part == "__pycache__" or part.startswith(".") for part in relative.parts
    )


def content_hash(inputs: Mapping[str, bytes], base_id: str) -> str:
    """sha256 over the base image id and every (path, content) pair, independent of order."""
    digest = hashlib.sha256(f"{_RECIPE}\0{base_id}\0".encode())
    for name in sorted(inputs):
        digest.update(f"{name}\0{len(inputs[name])}\0".encode())
        digest.update(inputs[name])
    return digest.hexdigest()


def image_tag(source_hash: str) -> str:
    return f"{IMAGE_REPO}:{source_hash[:16]}"


def context_tar(inputs: Mapping[str, bytes], wheelhouse: Path, requirements: Sequence[str]) -> io.BytesIO:
    """The build context as an uncompressed tar: inputs, wheels and their requirements file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in inputs.items():
            _add_bytes(tar, name, data)
        for wheel in sorted(wheelhouse.glob("*.whl")):
            _add_bytes(tar, f"wheels/{wheel.name}", wheel.read_bytes())
        _add_bytes(tar, "wheels/requirements.txt", "".join(f"{r}\n" for r in requirements).encode())
    buffer.seek(0)
    return buffer


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    # Fixed owner, mode and mtime: the builder's COPY cache then depends on content alone.
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tar.addfile(info, io.BytesIO(data))


def build_image(
    client: docker.DockerClient, context: io.BytesIO, tag: str, base: BaseImage, source_hash: str, progress: Progress
) -> None:
    """Classic-builder build of `context`, every log line to `progress`; failure raises with the log tail.

    The source hash is the one label set per build: each label costs the classic builder a
    step of its own, so the rest are static in the Dockerfile.
    """
    log: deque[str] = deque(maxlen=40)
    stream = client.api.build(
        fileobj=context, custom_context=True, tag=tag, buildargs={"BASE_IMAGE": base.ref},
        labels={SOURCE_HASH_LABEL: source_hash}, rm=True, forcerm=True, pull=False, decode=True,
    )  # fmt: skip
    for chunk in stream:
        for line in chunk.get("stream", "").splitlines():
            if line.strip():
                log.append(line)
                progress(line)
        if "error" in chunk:
            log.append(chunk["error"].strip())
            raise ContainerError(
                f"building {tag} failed: {chunk['error'].strip()}",
                cmd=["docker", "build", "--tag", tag],
                exit_code=chunk.get("errorDetail", {}).get("code"),
                output="\n".join(log),
            )


@contextmanager
def _build_lock(cache: Path) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "image.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
