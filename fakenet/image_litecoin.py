"""The litecoin node image, `fakenet-litecoin:<content hash>`, built once per content like the node image.

Nothing is pulled: its base is the Debian minbase bootstrapped from the host's own apt mirror
that the node image bootstraps too, `fakenet-base:<suite>` (image_base.BOOTSTRAP_PACKAGES:
Debian's `litecoind`, daemon and litecoin-cli, beside python3, and iptables and iproute2 for the
docker backend's packet filter). On top go compose/litecoin/Dockerfile and
the scripts in compose/litecoin/bin (the entrypoint that writes the conf from the environment,
and `cli`). The hash covers those files and the base's id, nothing of the harness.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import docker
import docker.errors

from fakenet.errors import ContainerError
from fakenet.image import build_image, build_lock, content_hash, repo_root
from fakenet.image_base import bootstrap_base, local_image_id
from fakenet.state import state_dir

IMAGE_REPO = "fakenet-litecoin"
CONTEXT = Path("compose") / "litecoin"


def ensure_litecoin_image(progress=print, client: docker.DockerClient | None = None) -> str:
    """The tag of an up-to-date litecoin image, bootstrapping its base and building it if needed."""
    root = repo_root()
    try:
        client = client or docker.from_env()
        with build_lock(state_dir(), "litecoin"):
            return _ensure_locked(client, root, progress)
    except docker.errors.DockerException as err:
        raise ContainerError(f"container engine failed while preparing the litecoin image: {err}") from err


def _ensure_locked(client: docker.DockerClient, root: Path, progress) -> str:
    base = bootstrap_base(client, progress)
    inputs = build_inputs(root)
    source_hash = content_hash(inputs, base.id)
    tag = f"{IMAGE_REPO}:{source_hash[:16]}"
    if not local_image_id(client, tag):
        progress(f"building {tag} on {base.ref}")
        build_image(client, context_tar(inputs), tag, base, source_hash, progress)
    return tag


def build_inputs(root: Path) -> dict[str, bytes]:
    """compose/litecoin/** by its path in the build context."""
    folder = root / CONTEXT
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.name.startswith(".")}


def context_tar(inputs: dict[str, bytes]) -> io.BytesIO:
    """Fixed owner and mtime (the build cache then depends on content alone); scripts in bin/ executable."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in inputs.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            info.mode = 0o755 if name.startswith("bin/") else 0o644
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer
