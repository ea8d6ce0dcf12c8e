"""The container figures of the node start-up bench: the node's own count starts at its exec.

A container's first process inherits the CPU runc spent setting it up before the exec (the kernel
keeps a process's usage across exec), so the bench runs its probe as a child of sh for the node's
own figure. These check, in a real container of the node image, that the child really is one
(dash could have exec'd a -c command's last line) and that the first-process form is pid 1.
"""

import uuid

from fakenet.bench.node_start import container_command
from fakenet.container_once import run_once
from fakenet.labels import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value

PID_PROBE = ["python3", "-c", "import os; print(f'pid={os.getpid()}')"]


def _pid(client, image, first_process: bool) -> str:
    labels = {PROJECT_LABEL: "bench-node-test", RUN_LABEL: f"bench-node-{uuid.uuid4().hex[:8]}",
              OWNER_LABEL: owner_value()}
    output = run_once(client, image, container_command(PID_PROBE, first_process), entrypoint=[],
                      network_mode="none", labels=labels)
    return output.decode().strip()


def test_the_node_figure_probe_is_a_child_and_the_first_process_figure_is_pid_1(docker_client, node_image):
    assert _pid(docker_client, node_image, first_process=False) != "pid=1"
    assert _pid(docker_client, node_image, first_process=False).startswith("pid=")
    assert _pid(docker_client, node_image, first_process=True) == "pid=1"
