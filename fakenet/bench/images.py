"""Image figures: a cold build, a cold build on a freshly bootstrapped base, a one-line rebuild; sizes.

The machine is shared, so nothing here touches what others build on: every image is built
under a tag of this bench run and removed afterwards, and the source tree is never edited.

- cold: `fake up`'s build path (fakenet.image's functions) with the builder cache off, which
  is what removing the node tag would give on a machine with no other fakenet image (here
  every older `fakenet-node:*` image shares the dependency layers, so removing a tag alone
  would measure a cached build). The host-side wheelhouse stays warm: downloading it is a
  one-time network cost that depends on the registry, not on fakenet.
- bootstrap: the base is bootstrapped into a tag of this run instead of removing the shared
  `fakenet-base:<suite>`, which would make every other user's next `up` rebuild from scratch.
- rebuild: the build inputs as `fake up` reads them, with one comment line appended to one
  file in memory; every other layer comes from the cache.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path
from typing import Iterator, Mapping

import docker.errors

from fakenet import image, image_base
from fakenet.bench.context import Context
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import guarded
from fakenet.bench.plan import QUICK_SKIPS
from fakenet.bench.timing import seconds
from fakenet.labels import BASE_IMAGE_LABEL
from fakenet.state import state_path
from fakenet.image_apt import host_mirror
from fakenet.image_base import BaseImage
from fakenet.image_wheels import ensure_wheelhouse, project_requirements, wheel_arch

CHANGED_FILE = "src/fakenet/node/daemon.py"
MB = 1e6


class _NoCache:
    """A client whose builds skip the layer cache (`docker build --no-cache`); the rest is the real client."""

    def __init__(self, client: docker.DockerClient):
        self._client = client
        self.api = self

    def build(self, **options):
        return self._client.api.build(nocache=True, **options)


def build(ctx: Context, inputs: Mapping[str, bytes], tag: str, base: BaseImage, *, nocache: bool) -> None:
    """What `ensure_image` does once it has decided to build, under `tag`."""
    client = ctx.client
    requirements = project_requirements(tomllib.loads(inputs["src/pyproject.toml"].decode()))
    arch, python = wheel_arch(client.version()["Arch"]), image_base.base_python(client, base)
    wheels = ensure_wheelhouse(state_path("wheelhouse"), requirements, arch, python, _quiet)
    context = image.context_tar(inputs, wheels, requirements)
    builder = _NoCache(client) if nocache else client
    image.build_image(builder, context, tag, base, image.content_hash(inputs, base.id), _quiet)


def _quiet(_line: str) -> None:
    pass


def _remove_image(ctx: Context, ref: str) -> None:
    try:
        ctx.client.images.remove(ref, force=True)
    except docker.errors.ImageNotFound:
        pass


def cold_build(ctx: Context, attempt: int) -> float:
    tag = f"{image.IMAGE_REPO}:{ctx.run_id}-cold{attempt}"

    def whole():
        inputs = image.build_inputs(image.repo_root())
        build(ctx, inputs, tag, image_base.resolve_base(ctx.client, _quiet), nocache=True)

    try:
        return seconds(whole)
    finally:
        _remove_image(ctx, tag)


def one_line_rebuild(ctx: Context, attempt: int) -> float:
    """A developer's edit-then-`up`: reading and hashing the tree is part of it."""
    def edited():
        inputs = dict(image.build_inputs(image.repo_root()))
        inputs[CHANGED_FILE] += f"\n# fake bench {ctx.run_id} edit {attempt}\n".encode()
        return inputs

    tag = f"{image.IMAGE_REPO}:{ctx.run_id}-edit{attempt}"
    try:
        return seconds(lambda: build(ctx, edited(), tag, image_base.resolve_base(ctx.client, _quiet), nocache=False))
    finally:
        _remove_image(ctx, tag)


def bootstrap_build(ctx: Context, attempt: int) -> float:
    """Bootstrap Debian from the host's mirror, import it, then a cold node build on it."""
    base_ref = f"{image_base.BOOTSTRAP_REPO}:{ctx.run_id}-{attempt}"

    def whole():
        mirror = host_mirror()
        with tempfile.TemporaryDirectory(prefix="fakenet-bench-base-") as tmp:
            tarball = image_base.bootstrap_tarball(mirror, Path(tmp), _quiet)
            repository, tag = base_ref.split(":")
            # the import `bootstrap_base` does, into this run's tag (its changes have no public name)
            ctx.client.api.import_image_from_file(str(tarball), repository=repository, tag=tag,
                                                  changes=image_base._import_changes())
        base = BaseImage(base_ref, ctx.client.images.get(base_ref).id)
        build(ctx, image.build_inputs(image.repo_root()), f"{image.IMAGE_REPO}:{ctx.run_id}-boot{attempt}", base,
              nocache=True)

    try:
        return seconds(whole)
    finally:
        _remove_image(ctx, f"{image.IMAGE_REPO}:{ctx.run_id}-boot{attempt}")
        _remove_image(ctx, base_ref)


def _repeat(ctx: Context, figure: Figure, measure, runs: int) -> list[Figure]:
    def produce():
        samples = []
        for attempt in range(1, runs + 1):
            samples.append(measure(ctx, attempt))
            ctx.progress(f"{figure.label}: run {attempt}/{runs}: {samples[-1]:.1f} s")
        return [figure.with_samples(samples)]

    return guarded([figure], produce, ctx.progress)


def figures(ctx: Context) -> Iterator[Figure]:
    plan = ctx.plan
    boot = spec("image.cold.bootstrap", "image", "cold build incl. Debian bootstrap (mmdebstrap + import)", "s",
                note="bootstrap from the host's apt mirror, then a build with no layer cache")
    if plan.bootstrap:
        yield from _repeat(ctx, boot, bootstrap_build, plan.build_runs)
    else:
        yield boot.not_measured(QUICK_SKIPS["bootstrap"])
    cold = spec("image.cold", "image", "cold build on an existing base (no layer cache)", "s",
                note="wheelhouse already downloaded (one-time, network-bound)")
    yield from _repeat(ctx, cold, cold_build, plan.build_runs)
    yield from _repeat(ctx, spec("image.rebuild", "image", "rebuild after a one-line change", "s",
                                 note="only the package layer is rebuilt"), one_line_rebuild, plan.build_runs)


def size_specs() -> list[Figure]:
    return [spec("image.size", "footprint", "node image size", "MB"),
            spec("image.size.base", "footprint", "  of which the base image", "MB")]


def sizes(ctx: Context) -> list[Figure]:
    """The node image the bench runs, and the base it was built on (part of its size)."""
    node_spec, base_spec = size_specs()
    node = ctx.client.images.get(ctx.image)
    base_ref = node.labels.get(BASE_IMAGE_LABEL, "")
    base_id = image_base.local_image_id(ctx.client, base_ref) if base_ref else None
    base = base_spec.with_samples([ctx.client.images.get(base_id).attrs["Size"] / MB], note=base_ref) if base_id \
        else base_spec.not_measured(f"base image {base_ref or '(unlabelled)'} is not present")
    return [node_spec.with_samples([node.attrs["Size"] / MB], note=ctx.image), base]
