"""Where nodes run: `local` (processes on 127.A.B.x) or `docker` (containers on their own network)."""

from fakenet.harness.backends.base import Backend, LinkRules, NodeRuntime, NodeSpec


def create(kind: str, **options) -> Backend:
    if kind == "local":
        from fakenet.harness.backends.local import LocalBackend

        return LocalBackend(**options)
    if kind == "docker":
        from fakenet.harness.backends.docker import DockerBackend

        return DockerBackend(**options)
    raise ValueError(f"unknown backend {kind!r}: use local or docker")


__all__ = ["Backend", "LinkRules", "NodeRuntime", "NodeSpec", "create"]
