"""The `io.fakenet.*` label contract: what fakenet writes on everything it creates in Docker, so that
teardown, `fake prune`, `status` and the bench find it again (and nothing of anyone else's).

A module of names only, below the backends, compose, the image builders and the tools, so each of
them reads the same labels without importing the others.
"""

from __future__ import annotations

import os
import socket

PROJECT_LABEL = "io.fakenet.project"  # the network's project (compose) or harness run group
RUN_LABEL = "io.fakenet.run"  # one harness network, bench unit or compose run
OWNER_LABEL = "io.fakenet.owner"  # "<hostname>:<pid>" of the harness process that made it
KIND_LABEL = "io.fakenet.kind"  # the node kind a compose project runs
IMAGE_LABEL = "io.fakenet.image"  # node, litecoin, base: images fakenet builds
SOURCE_HASH_LABEL = "io.fakenet.source-hash"  # the content hash an image's tag is made of
BASE_IMAGE_LABEL = "io.fakenet.base-image"  # the base a node image was built on
PACKAGES_LABEL = "io.fakenet.base-packages"  # the Debian packages a bootstrapped base holds
SWARM_LABEL = "io.fakenet.swarm"  # on a swarm fakenet created (`run`: made for runs)
JOINED_LABEL = "io.fakenet.joined"  # on a worker node fakenet joined to the swarm


def owner_value() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    if not owner:
        return True  # compose networks have no owner process: liveness is their containers'
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's process: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True
