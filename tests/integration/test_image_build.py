"""The node image against the real engine: built (or reused) offline, and it runs the package.

The first run on a machine without a registry bootstraps a Debian base (about a minute);
afterwards the image is reused, or rebuilt in seconds after a source change.
"""

import docker
import pytest

from fakenet.image import SOURCE_HASH_LABEL, ensure_image

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IMPORTS = "import fakenet, aiohttp, nacl.signing, multiformats, dag_cbor, bitcoin, bitcoin.core.key"


@pytest.fixture(scope="module")
def client():
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as err:
        pytest.skip(f"no container engine: {err}")
    return engine


@pytest.fixture(scope="module")
def tag(client):
    return ensure_image(progress=lambda line: None, client=client)


def run(client, tag, *command):
    """Run a command in a throwaway container; the container and its /data volume go with it."""
    container = client.containers.create(tag, list(command), labels={"io.fakenet.project": "test-image-build"})
    try:
        container.start()
        exit_code = container.wait(timeout=60)["StatusCode"]
        return exit_code, container.logs().decode()
    finally:
        container.remove(v=True, force=True)


def test_image_is_tagged_with_its_content_hash(client, tag):
    image = client.images.get(tag)
    assert tag.startswith("fakenet-node:")
    assert image.labels[SOURCE_HASH_LABEL].startswith(tag.split(":", 1)[1])
    assert image.labels["io.fakenet.image"] == "node"
    assert image.attrs["Config"]["Volumes"] == {"/data": {}}
    assert set(image.attrs["Config"]["ExposedPorts"]) == {"4011/tcp", "5011/tcp", "6433/tcp", "7007/tcp", "9094/tcp"}


def test_unchanged_sources_reuse_the_image(client, tag):
    lines = []
    again = ensure_image(progress=lines.append, client=client)
    if again == tag:  # else someone edited the package meanwhile: a new tag is the right answer
        assert not any(line.startswith("Step ") for line in lines), lines


def test_image_imports_the_package_and_its_deps(client, tag):
    exit_code, output = run(client, tag, "python", "-c", IMPORTS)
    assert exit_code == 0, output


def test_console_scripts_and_network_tools_are_on_path(client, tag):
    exit_code, output = run(client, tag, "sh", "-c", "which fakenet-node cli iptables ip")
    assert exit_code == 0, output
    assert output.split()[:2] == ["/opt/fakenet/bin/fakenet-node", "/opt/fakenet/bin/cli"]
