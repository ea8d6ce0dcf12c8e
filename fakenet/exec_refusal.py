"""Why `fake exec NODE …` cannot run in NODE, said in one line before compose runs.

Compose answered a stopped node with `service "node3" is not running` and a paused one with the
engine's `Error response from daemon: Container 8d8f… is paused, unpause the container before
exec`: neither said how the node got there nor what to type next. Asked before compose, not after
it failed, because compose's own line is printed by then. The price is one container listing (over
the engine's socket where it is local, ~1 ms) before each exec; a running node execs as before.
"""

from __future__ import annotations

import re

from fakenet.labels import COMPOSE_PROJECT_LABEL as PROJECT_LABEL, COMPOSE_SERVICE_LABEL as SERVICE_LABEL

EXIT_CODE = re.compile(r"\((-?\d+)\)")  # the list's Status: "Exited (137) 5 seconds ago", "Restarting (1) …"


def refusal(client, project: str, node: str, fake: str, recorded: bool) -> str | None:
    """The line to print instead of running compose, or None where NODE runs. `client`: a DockerClient
    or socket_client's; `fake`: the command as the user runs it, for the hints (invocation.command);
    `recorded`: the project's `up` made NODE (else a missing container is a name compose answers for)."""
    labels = [f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}={node}"]
    found = [container.attrs for container in client.containers.list(all=True, sparse=True, filters={"label": labels})]
    if any(container.get("State") == "running" for container in found):
        return None
    if not found:
        return f"fake exec: node {node} has no container (`{fake} up -d` makes it)" if recorded else None
    state, status = found[0].get("State", ""), found[0].get("Status", "")
    if state == "paused":
        return f"fake exec: node {node} is paused (`{fake} unpause {node}` resumes it)"
    return (f"fake exec: node {node} is not running ({_why(state, status)}): `{fake} up -d` starts it again, "
            f"`{fake} logs {node}` shows why it stopped")


def _why(state: str, status: str) -> str:
    code = EXIT_CODE.search(status)
    if state == "exited" and code:
        return f"exited with code {code.group(1)}"
    if state == "restarting" and code:
        return f"restarting after exiting with code {code.group(1)}"
    if state == "created":
        return "created, never started"
    return state or "stopped"
