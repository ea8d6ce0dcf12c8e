"""manifest.json: what ran, exactly enough to run it again — seed, kind, image by content hash,
topology, the fault schedule with its offsets, and the versions of everything involved."""

from __future__ import annotations

import datetime
import platform
import shlex
import subprocess
import sys
from importlib import metadata

from fakenet.errors import FakenetError
from fakenet.labels import SOURCE_HASH_LABEL


def facts(net) -> dict:
    """What is known only while the network exists (its image, settings, engine)."""
    return {"kind": net.kind.name, "backend": net.backend.name, "nodes": list(net.names),
            "placement": _placement(net), "topology": sorted(tuple(sorted(edge)) for edge in net.topology.edges),
            "settings": {key: str(value) for key, value in net.settings.items()},
            "command": shlex.join(["fake" if sys.argv[0].endswith("__main__.py") else sys.argv[0], *sys.argv[1:]]),
            "git_commit": _git_commit(), "image": _image(net), "versions": _versions(net)}


def _placement(net) -> dict:
    """Which host each node ran on (hosts backend); one host otherwise."""
    placed = getattr(net.backend, "placed", None) or getattr(net.backend, "placement", None)
    return dict(placed) if placed else {}


def _git_commit() -> str | None:
    """The checkout's commit, "+dirty" when it has changes: the code that ran, as exactly as git can say."""
    from fakenet.image import repo_root

    try:
        root = repo_root()
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (FakenetError, OSError, subprocess.SubprocessError):  # no git, or an installed fakenet without its checkout
        return None
    commit = head.stdout.strip()
    return (commit + ("+dirty" if dirty.stdout.strip() else "")) if head.returncode == 0 and commit else None


def _image(net) -> dict:
    client = getattr(net.backend, "client", None)
    if client is None:  # local processes run this checkout's node code: its hash is the image's input hash
        return {"local": True, "node_source_hash": _source_hash()}
    tag = getattr(net.backend, "image", None)
    if tag is None:  # attached to a compose network: the image is whatever its containers run
        container = next((getattr(r, "container", None) for r in net.fleet.runtimes.values()), None)
        tag = container.attrs["Config"]["Image"] if container is not None else None
    try:
        image = client.images.get(tag)
    except Exception as exc:  # the engine may be what failed; the manifest still says what it can
        return {"tag": tag, "error": str(exc)}
    return {"tag": tag, "id": image.id, "source_hash": image.labels.get(SOURCE_HASH_LABEL)}


def _source_hash() -> str | None:
    from fakenet.image import build_inputs, content_hash, repo_root

    try:
        return content_hash(build_inputs(repo_root()), "local")
    except (FakenetError, OSError):  # an installed fakenet without its source checkout
        return None


def _versions(net) -> dict:
    found = {"fakenet": _version("fakenet"), "python": sys.version.split()[0], "platform": platform.platform(),
             "networkx": _version("networkx")}
    client = getattr(net.backend, "client", None)
    if client is not None:
        try:
            found["docker_engine"] = client.version().get("Version")
        except Exception as exc:  # an engine that stopped answering is part of the story, not a crash
            found["docker_engine"] = f"unknown ({exc})"
    return found


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def document(bundle) -> dict:
    return {"title": bundle.title, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "seed": bundle.seed if bundle.predicted else None,  # a dump ran no seeded steps
            "kind": bundle.kind, "backend": bundle.backend, "nodes": bundle.names,
            "topology": [list(edge) for edge in bundle.topology],
            "fault_schedule": [{"at": e.at, "event": e.kind, "what": e.what, "took": e.took}
                               for e in bundle.timeline if e.kind in ("apply", "undo", "recovered", "mine")],
            "verdict": {"side": bundle.verdict.side, "error": bundle.verdict.error, "where": bundle.verdict.where},
            "replay": bundle.replay, "scenario": {"path": bundle.scenario_path, "copy": "scenario.yaml"}
            if bundle.scenario_text else None, **{k: v for k, v in bundle.facts.items()
                                    if k not in ("kind", "backend", "nodes", "topology")}}
