"""The node image against the real engine: built (or reused) offline, and it runs the package.

The first run on a machine without a registry bootstraps a Debian base (about a minute);
afterwards the image is reused, or rebuilt in seconds after a source change.
"""

import pytest

from fakenet.image import SOURCE_HASH_LABEL, ensure_image

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IMPORTS = ("import fakenet, aiohttp, nacl.signing, multiformats, dag_cbor, bitcoin, bitcoin.core.key, jsonschema, "
           "rfc3986_validator, rfc3339_validator, fakenet.node.ceramic_one.api")


def run(client, image, *command):
    """Run a command in a throwaway container; the container and its /data volume go with it."""
    container = client.containers.create(image, list(command), labels={"io.fakenet.project": "test-image-build"})
    try:
        container.start()
        exit_code = container.wait(timeout=60)["StatusCode"]
        return exit_code, container.logs().decode()
    finally:
        container.remove(v=True, force=True)


def test_image_is_tagged_with_its_content_hash(docker_client, node_image):
    image = docker_client.images.get(node_image)
    assert node_image.startswith("fakenet-node:")
    assert image.labels[SOURCE_HASH_LABEL].startswith(node_image.split(":", 1)[1])
    assert image.labels["io.fakenet.image"] == "node"
    assert image.attrs["Config"]["Volumes"] == {"/data": {}}
    assert set(image.attrs["Config"]["ExposedPorts"]) == {"4011/tcp", "5011/tcp", "5101/tcp", "6433/tcp", "7007/tcp", "9094/tcp"}


def test_unchanged_sources_reuse_the_image(docker_client, node_image):
    lines = []
    again = ensure_image(progress=lines.append, client=docker_client)
    if again == node_image:  # else someone edited the package meanwhile: a new tag is the right answer
        assert not any(line.startswith("Step ") for line in lines), lines


def test_image_imports_the_package_and_its_deps(docker_client, node_image):
    exit_code, output = run(docker_client, node_image, "python", "-c", IMPORTS)
    assert exit_code == 0, output


def test_a_python_process_of_the_image_runs_no_build_tool_hook(docker_client, node_image):
    """setuptools' distutils-precedence.pth is removed (compose/Dockerfile): it cost every process's start."""
    exit_code, output = run(docker_client, node_image, "python", "-c",
                            "import sys; print(sorted(m for m in sys.modules if 'distutils' in m))")
    assert (exit_code, output.strip()) == (0, "[]")


def test_console_scripts_and_network_tools_are_on_path(docker_client, node_image):
    exit_code, output = run(docker_client, node_image, "sh", "-c", "which fakenet-node cli iptables ip")
    assert exit_code == 0, output
    assert output.split()[:2] == ["/opt/fakenet/bin/fakenet-node", "/opt/fakenet/bin/cli"]
