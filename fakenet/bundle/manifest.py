"""manifest.json: what ran, exactly enough to run it again — seed, kind, image by content hash,
topology, the fault schedule with its offsets, and the versions of everything involved."""

from __future__ import annotations

import datetime
import platform
import sys
from importlib import metadata

from fakenet.errors import FakenetError
from fakenet.labels import SOURCE_HASH_LABEL


def facts(net) -> dict:
    """What is known only while the network exists (its image, settings, engine)."""
    return {"kind": net.kind.name, "backend": net.backend.name, "nodes": list(net.names),
            "topology": sorted(tuple(sorted(edge)) for edge in net.topology.edges),
            "settings": {key: str(value) for key, value in net.settings.items()},
            "image": _image(net), "versions": _versions(net)}


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
            "seed": bundle.seed, "kind": bundle.kind, "backend": bundle.backend, "nodes": bundle.names,
            "topology": [list(edge) for edge in bundle.topology],
            "fault_schedule": [{"at": e.at, "event": e.kind, "what": e.what, "took": e.took}
                               for e in bundle.timeline if e.kind in ("apply", "undo", "recovered")],
            "verdict": {"side": bundle.verdict.side, "error": bundle.verdict.error, "where": bundle.verdict.where},
            "replay": bundle.replay, **{k: v for k, v in bundle.facts.items()
                                    if k not in ("kind", "backend", "nodes", "topology")}}
