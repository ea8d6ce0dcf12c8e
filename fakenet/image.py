"""The node image, `fakenet-node:<content hash>`, built only when no image of that hash exists.

The image holds the node alone — the system under test, `fakenet/node`, which imports nothing
from the rest of fakenet — and the hash covers exactly what goes into it (compose/Dockerfile,
the node's requirements, every file of fakenet/node, the base image's id). Editing the
harness, the CLI, a scenario, the bench or README leaves the tag alone; an image built from
older node sources is never run: it simply carries another tag.

The build context is assembled in memory, never the whole repo:

    Dockerfile
    wheels/*.whl, wheels/requirements.txt   third-party layer, cached while the node's deps don't change
    src/pyproject.toml                      generated: the node's distribution (deps, console scripts)
    src/fakenet/__init__.py                 a stub: the harness's package init stays out of the image
    src/fakenet/node/                       the node package, the last layer

Helpers: image_base (local / pulled / bootstrapped base), image_apt (the host's apt mirror),
image_wheels (the host-side wheelhouse).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from fakenet import engine_reads, image_stamp
from fakenet.errors import ContainerError
from fakenet.image_base import BaseImage, base_python, build_lock, present_base, resolve_base
from fakenet.image_wheels import ensure_wheelhouse, project_requirements, wheel_arch
from fakenet.labels import SOURCE_HASH_LABEL
from fakenet.source_tree import BUNDLED, PACKAGE, node_package, source_root
from fakenet.state import state_dir, state_path

if TYPE_CHECKING:  # imported where a client is made: `./fake up` may ask without it (present_tag)
    import tarfile

    import docker

__all__ = ["IMAGE_REPO", "SOURCE_HASH_LABEL", "build_inputs", "content_hash", "ensure_image", "image_tag", "node_pyproject",
           "present_tag", "repo_root"]

IMAGE_REPO = "fakenet-node"
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
    import docker
    import docker.errors

    root = repo_root()
    try:
        client = client or docker.from_env()
        with build_lock(state_dir(), "node"):
            return _ensure_locked(client, root, base_image, progress)
    except docker.errors.DockerException as err:
        raise ContainerError(f"container engine failed while preparing the node image: {err}") from err


def _ensure_locked(client: docker.DockerClient, root: Path, base_image: str | None, progress: Progress) -> str:
    base = resolve_base(client, progress, base_image)
    tag = image_tag(_source_hash(root, base.id))
    if engine_reads.of(client).image(tag):
        return tag
    inputs = build_inputs(root)
    source_hash = content_hash(inputs, base.id)  # what is built is hashed from its content, never recalled
    tag = image_tag(source_hash)
    progress(f"building {tag} on {base.ref}")
    import tomllib  # only to build: not on `./fake up`'s way to compose

    requirements = project_requirements(tomllib.loads(inputs["src/pyproject.toml"].decode()))
    arch, python = wheel_arch(client.version()["Arch"]), base_python(client, base)
    wheels = ensure_wheelhouse(state_path("wheelhouse"), requirements, arch, python, progress)
    build_image(client, context_tar(inputs, wheels, requirements), tag, base, source_hash, progress)
    # Stale tags are left to `./fake prune`: deleting images here could pull layers from under
    # a build another checkout is running on the same engine.
    return tag


def present_tag(reads, base_image: str | None = None) -> str | None:
    """The tag ensure_image would return, if the engine has that image and its base already; None: ask
    ensure_image (which builds, pulls or waits for another process's build under the lock). `reads`:
    engine_reads, so `./fake up` can ask before it imports the SDK."""
    base = present_base(reads, base_image)
    if base is None:
        return None
    tag = image_tag(_source_hash(repo_root(), base.id))
    return tag if reads.image(tag) else None


def repo_root() -> Path:
    """The sources the image is built from: the checkout this fakenet was imported from, or the copy an
    installed wheel carries (fakenet/source_tree.py)."""
    root = source_root()
    if root is None:
        raise ContainerError(f"the node image is built from fakenet's sources: no checkout at {PACKAGE.parent} and "
                             f"no {PACKAGE / BUNDLED} (install fakenet from a wheel built by `pip install .` or "
                             f"`pip wheel .`)")
    return root


_STUB_INIT = b'"""fakenet, as the node image holds it: the node package (fakenet.node) alone."""\n'


def build_inputs(root: Path, node_files: dict[str, Path] | None = None) -> dict[str, bytes]:
    """Every file the image is made of, by its path in the build context (`node_files`: the node
    package's, as _node_files listed them)."""
    files = {"Dockerfile": (root / "compose" / "Dockerfile").read_bytes(),
             "src/pyproject.toml": node_pyproject(root).encode(), "src/fakenet/__init__.py": _STUB_INIT}
    node_files = _node_files(root) if node_files is None else node_files
    files.update({name: path.read_bytes() for name, path in node_files.items()})
    return files


def _node_files(root: Path) -> dict[str, Path]:
    """The node package's files by their path in the build context: not bytecode, not hidden (editor
    swap files), nothing inside __pycache__. os.walk, not Path.rglob: 0.7 ms against 6 (every `up`)."""
    node, found = node_package(root), {}
    for folder, folders, names in os.walk(node):
        folders[:] = [name for name in folders if name != "__pycache__" and not name.startswith(".")]
        inside = Path(folder).relative_to(node)
        for name in names:
            if not name.startswith(".") and not name.endswith((".pyc", ".pyo")):
                found[f"src/fakenet/node/{(inside / name).as_posix()}"] = Path(folder, name)
    return dict(sorted(found.items()))


def _source_hash(root: Path, base_id: str) -> str:
    """content_hash of the image's inputs on `base_id`, recalled by their files' stamp where it can be
    (image_stamp.py): the files build_inputs reads, and this module, which makes the inputs from them.
    One listing for the stamp and the content: a file added between two listings would be hashed but not
    stamped, and its removal later would bring that hash back under a stamp it matches."""
    node_files = _node_files(root)
    files = [root / "compose" / "Dockerfile", root / "pyproject.toml", *node_files.values(), Path(__file__)]
    stamped = image_stamp.stamp(files, base_id)
    known = image_stamp.recall(stamped[0]) if stamped else None
    if known:
        return known
    source_hash = content_hash(build_inputs(root, node_files), base_id)
    if stamped:
        image_stamp.remember(*stamped, source_hash)
    return source_hash


def node_requirements(root: Path) -> list[str]:
    lines = (node_package(root) / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def node_pyproject(root: Path) -> str:
    """The node's own distribution: its dependencies and console scripts, the version of the checkout."""
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text())
    version = re.search(r'__version__\s*=\s*"([^"]+)"', (node_package(root) / "version.py").read_text()).group(1)
    scripts = {name: target for name, target in project["project"].get("scripts", {}).items()
               if target.startswith("fakenet.node.")}
    lines = ["[build-system]", f"requires = {_toml_list(project['build-system']['requires'])}",
             f"build-backend = \"{project['build-system']['build-backend']}\"", "", "[project]",
             'name = "fakenet-node"', f'version = "{version}"',
             f"requires-python = \"{project['project']['requires-python']}\"",
             f"dependencies = {_toml_list(node_requirements(root))}", "", "[project.scripts]",
             *(f'{name} = "{target}"' for name, target in sorted(scripts.items())), "",
             "[tool.setuptools.packages.find]", 'include = ["fakenet", "fakenet.node*"]', ""]
    return "\n".join(lines)


def _toml_list(items) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


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
    import tarfile  # only to build: `./fake up` finds its image's tag without it (~6 M instructions)

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
    import tarfile

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


