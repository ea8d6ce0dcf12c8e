"""The base image the node image builds FROM: local, pulled, or bootstrapped on the host.

On a machine with no registry nothing can be pulled, so a minimal Debian is bootstrapped
from the host's own apt mirror (mmdebstrap, else debootstrap) and imported into the engine
as `fakenet-base:<suite>`. It already carries python3, venv, iptables and iproute2, so the
image build itself never needs the network.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple, Sequence

from fakenet import engine_reads
from fakenet.container_once import run_once
from fakenet.errors import ContainerError, FakenetError
from fakenet.image_apt import AptMirror, host_mirror
from fakenet.labels import IMAGE_LABEL, PACKAGES_LABEL, PROJECT_LABEL
from fakenet.state import state_dir

if TYPE_CHECKING:  # the SDK is imported by whoever made the client: `./fake up` may need none (engine_reads)
    import docker

DEFAULT_BASE = "python:3.11-slim"
BASE_ENV = "FAKENET_BASE_IMAGE"
BOOTSTRAP_REPO = "fakenet-base"
# One base for both of fakenet's images: the node image's (python3, and iptables and iproute2 for
# the docker backend's packet filter) and the litecoin image's (Debian's litecoind). A base of its
# own for litecoin was a second bootstrap, made by the first test that ran Litecoin Core on a fresh
# machine: 56 s and 29 CPU s there (the node's base is made before the tests, by .ci/run).
BOOTSTRAP_PACKAGES = ("python3", "python3-venv", "iptables", "iproute2", "netbase", "litecoind")
# Docs, man pages and translations are a third of a minbase; nobody reads them in a node.
_SLIM_DPKG = [
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
]
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

Progress = Callable[[str], None]


class BaseImage(NamedTuple):
    """A base image as named in `FROM` and the id it resolved to (part of the node image's hash). A
    NamedTuple: a frozen dataclass compiles its methods at import, on `./fake up`'s way (issue 28)."""

    ref: str
    id: str


def resolve_base(client: docker.DockerClient, progress: Progress, requested: str | None = None) -> BaseImage:
    """The base to build on: argument, else $FAKENET_BASE_IMAGE, else python:3.11-slim.

    Used if present, else pulled; if that fails too, a Debian base is bootstrapped. For the
    default, a bootstrapped base already here counts as present: no pull is tried on every
    run of a machine without a registry.
    """
    present = present_base(engine_reads.of(client), requested)
    if present:
        return present
    ref = requested or os.environ.get(BASE_ENV) or DEFAULT_BASE
    image_id = _pull(client, ref, progress)
    if image_id:
        return BaseImage(ref, image_id)
    return bootstrap_base(client, progress)


def present_base(reads, requested: str | None = None) -> BaseImage | None:
    """The base resolve_base would take without pulling or bootstrapping, if the engine has it
    (`reads`: engine_reads, the SDK or the engine's socket)."""
    ref = requested or os.environ.get(BASE_ENV) or DEFAULT_BASE
    found = reads.image(ref)
    if found:
        return BaseImage(ref, found.id)
    return _local_bootstrap(reads) if ref == DEFAULT_BASE else None


def base_python(client: docker.DockerClient, base: BaseImage) -> str:
    """The `major.minor` of the base's python3: the wheels are fetched for it (bookworm 3.11, trixie 3.13)."""
    output = run_once(client, base.ref, ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                      network_disabled=True, labels={PROJECT_LABEL: "fakenet-image-build"})
    return output.decode().strip()


def local_image_id(client: docker.DockerClient, ref: str) -> str | None:
    found = engine_reads.of(client).image(ref)
    return found.id if found else None


def _pull(client: docker.DockerClient, ref: str, progress: Progress) -> str | None:
    import docker.errors
    import requests

    progress(f"base image {ref} not present; pulling")
    try:
        return client.images.pull(ref).id
    except docker.errors.APIError as err:
        progress(f"cannot pull {ref}: {err.explanation or err}")
    except requests.exceptions.RequestException as err:  # the engine took too long to answer
        progress(f"cannot pull {ref}: {err}")
    return None


def bootstrap_base(client: docker.DockerClient, progress: Progress, repo: str = BOOTSTRAP_REPO,
                   packages: Sequence[str] = BOOTSTRAP_PACKAGES) -> BaseImage:
    """`fakenet-base:<suite>` from the host's apt mirror, bootstrapped only if absent or outdated
    (its package set changed). Another repo and package set make another base the same way."""
    mirror = host_mirror()
    ref = bootstrap_ref(mirror, repo)
    image_id = _current_bootstrap_id(engine_reads.of(client), ref, packages)
    if image_id:
        return BaseImage(ref, image_id)
    # The node image's builder and the litecoin image's (each under its own build_lock) both come
    # here on a fresh machine: one bootstraps, the other waits and finds its base made.
    with build_lock(state_dir(), f"base-{repo}"):
        image_id = _current_bootstrap_id(engine_reads.of(client), ref, packages)
        if image_id:
            return BaseImage(ref, image_id)
        progress(f"bootstrapping Debian {mirror.suite} from {mirror.uri} as {ref}")
        import tempfile  # only to bootstrap: `./fake up` finds its base without it (with random: ~4 M instructions)

        with tempfile.TemporaryDirectory(prefix="fakenet-base-") as tmp:
            tarball = bootstrap_tarball(mirror, Path(tmp), progress, packages)
            progress(f"importing {ref}")
            client.api.import_image_from_file(
                str(tarball), repository=repo, tag=mirror.suite, changes=_import_changes(packages)
            )
        return BaseImage(ref, client.images.get(ref).id)


@contextmanager
def build_lock(cache: Path, image: str) -> Iterator[None]:
    """One builder of `image` at a time (pytest-xdist workers wait for one another instead of building
    twice). One lock per image, not one for all: `up` of the built node image does not wait for a
    first `--kind litecoin` building its own."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        handle = open(cache / f"{image}.image.lock", "w")
    except OSError as exc:  # the first write to the state dir in a run: say which dir and how to move it
        raise FakenetError(f"fakenet's state dir {cache} cannot be written ({exc.strerror or exc}): point "
                           f"FAKENET_STATE_DIR at a writable directory") from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def bootstrap_ref(mirror: AptMirror, repo: str = BOOTSTRAP_REPO) -> str:
    return f"{repo}:{mirror.suite}"


def _local_bootstrap(reads) -> BaseImage | None:
    """A current bootstrapped base for this host, if one was made before (raises only what `reads` does)."""
    try:
        ref = bootstrap_ref(host_mirror())
    except (ContainerError, OSError):
        return None  # not a Debian-like host: there is nothing to have bootstrapped
    image_id = _current_bootstrap_id(reads, ref)
    return BaseImage(ref, image_id) if image_id else None


def _current_bootstrap_id(reads, ref: str, packages: Sequence[str] = BOOTSTRAP_PACKAGES) -> str | None:
    """The id of an existing bootstrap image, if it holds today's package set."""
    image = reads.image(ref)
    if image is None:
        return None
    return image.id if image.labels.get(PACKAGES_LABEL) == ",".join(packages) else None


def _import_changes(packages: Sequence[str] = BOOTSTRAP_PACKAGES) -> list[str]:
    # An imported rootfs has no config at all: give it the usual PATH and a shell.
    return [
        f"ENV PATH={_DEFAULT_PATH}",
        'CMD ["/bin/bash"]',
        f"LABEL {IMAGE_LABEL}=base",
        f"LABEL {PACKAGES_LABEL}={','.join(packages)}",
    ]


def bootstrap_tarball(mirror: AptMirror, workdir: Path, progress: Progress,
                      packages: Sequence[str] = BOOTSTRAP_PACKAGES) -> Path:
    """A root filesystem tarball in `workdir`, made by mmdebstrap or else debootstrap."""
    tarball = workdir / "rootfs.tar"
    if not (shutil.which("mmdebstrap") or shutil.which("debootstrap")):
        _install_mmdebstrap(progress)
    if shutil.which("mmdebstrap"):
        run_streaming(mmdebstrap_command(mirror, tarball, packages), progress)
    elif shutil.which("debootstrap"):
        rootfs = workdir / "rootfs"
        run_streaming(debootstrap_command(mirror, rootfs, packages), progress)
        run_streaming(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], progress)
    else:
        raise ContainerError(
            "no base image and none can be pulled; to bootstrap one, install mmdebstrap on this "
            "machine: `apt-get install mmdebstrap` (or debootstrap), or set FAKENET_BASE_IMAGE"
        )
    return tarball


def _install_mmdebstrap(progress: Progress) -> None:
    """As root on a Debian-like host, get mmdebstrap from the machine's own apt sources, so the first
    `up` on a fresh machine needs nothing installed by hand; elsewhere the caller says what to install."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    progress("installing mmdebstrap from this machine's apt sources (needed once, to bootstrap the base)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "mmdebstrap"]):
        try:
            run_streaming(cmd, progress, env=env)
        except ContainerError as exc:
            progress(f"could not install mmdebstrap: {exc}")
            return


def mmdebstrap_command(mirror: AptMirror, tarball: Path, packages: Sequence[str] = BOOTSTRAP_PACKAGES) -> list[str]:
    return [
        "mmdebstrap",
        "--variant=minbase",
        f"--include={','.join(packages)}",
        '--aptopt=Acquire::Languages "none"',
        *_SLIM_DPKG,
        mirror.suite,
        str(tarball),
        mirror.uri,
    ]


def debootstrap_command(mirror: AptMirror, rootfs: Path, packages: Sequence[str] = BOOTSTRAP_PACKAGES) -> list[str]:
    return [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(packages)}",
        mirror.suite,
        str(rootfs),
        mirror.uri,
    ]


def run_streaming(cmd: Sequence[str], progress: Progress, tail: int = 40, env: dict | None = None) -> None:
    """Run `cmd`, each output line to `progress`; a failure raises with the last lines."""
    last: deque[str] = deque(maxlen=tail)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                          env=env) as proc:
        for line in proc.stdout:
            last.append(line.rstrip())
            progress(last[-1])
    if proc.returncode:
        output = "\n".join(last)
        raise ContainerError(
            f"{cmd[0]} failed with exit code {proc.returncode}:\n{output}",
            cmd=list(cmd),
            exit_code=proc.returncode,
            output=output,
        )
