"""The long-lived shell that link changes run through, against a real container of the node image."""

import pytest

from fakenet.harness.backends.container_shell import ContainerShell, ShellGone

pytestmark = [pytest.mark.docker]


@pytest.fixture(scope="module")
def container(docker_client, node_image):
    found = docker_client.containers.run(node_image, ["sleep", "infinity"], detach=True,
                                         labels={"io.fakenet.project": "test-container-shell"})
    yield docker_client, found
    found.remove(force=True, v=True)


def test_scripts_give_status_and_output_like_sh_c(container):
    client, found = container
    shell = ContainerShell(client, found.id)
    assert shell.run("echo out; echo err >&2; exit 3") == (3, "out\nerr\n")
    assert shell.run("set -e\nfalse\necho never") == (1, "")  # set -e ends the script, not the session
    assert shell.run("cat; echo after") == (0, "after\n")  # a script cannot read the next one
    code, output = shell.run("head -c 200000 /dev/zero | tr '\\0' a")  # output spanning many frames
    assert (code, len(output)) == (0, 200000)
    shell.close()


def test_a_restarted_container_ends_the_session_and_the_next_script_opens_a_new_one(container):
    client, found = container
    shell = ContainerShell(client, found.id)
    assert shell.run("echo before") == (0, "before\n")
    found.restart(timeout=0)
    with pytest.raises(ShellGone):
        shell.run("echo lost")
    assert shell.run("echo after") == (0, "after\n")
    shell.close()
