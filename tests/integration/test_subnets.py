"""A docker start picks its subnet while other runs remove theirs (issue 27: a docker scenario beside a CPU
hog failed at start-up with 404 "network <id> not found"), on the real engine."""

import ipaddress
import uuid

import docker
import pytest

from fakenet import engine_reads
from fakenet.harness.backends import subnets
from fakenet.labels import OWNER_LABEL, PROJECT_LABEL, RUN_LABEL, owner_value

pytestmark = pytest.mark.docker


@pytest.fixture
def labels():
    run = uuid.uuid4().hex[:10]
    yield {PROJECT_LABEL: "fakenet-test", RUN_LABEL: run, OWNER_LABEL: owner_value()}


@pytest.fixture
def made(docker_client, labels):
    """Networks this test made; whatever of them is still there goes at teardown."""
    networks = []
    yield networks
    for network in networks:
        try:
            network.remove()
        except docker.errors.NotFound:
            pass


def _subnet(network) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"])


def test_the_listing_alone_shows_every_networks_subnet(docker_client, labels, made, monkeypatch, tmp_path):
    """The subnet pick reads one listing and inspects nothing: the listing must carry the subnets (not
    this machine's routes, which a bridge also adds: they are left out here)."""
    monkeypatch.setattr(subnets, "ROUTES", tmp_path / "no-routes")
    made.append(subnets.create_network(docker_client, f"fakenet-{labels[RUN_LABEL]}", subnets.BRIDGE_POOL, 4,
                                       labels[RUN_LABEL], driver="bridge", labels=labels))
    assert _subnet(made[0]) in subnets.used(engine_reads.of(docker_client))
    # and over the engine's socket without the SDK, as `./fake up` asks (engine_reads.answering)
    asked = []
    assert _subnet(made[0]) in subnets.used(engine_reads.answering(lambda: asked.append(1) or docker_client))
    assert asked == [] or not engine_reads.engine_socket.local_path(), "answered by the socket, not the SDK"


def test_a_network_removed_between_the_listing_and_a_look_at_it_does_not_fail_a_start(docker_client, labels, made,
                                                                                        monkeypatch):
    """Another run's network is in the listing, and that run removes it before any later call about it
    reaches the engine (an xdist worker's teardown, at the worst moment)."""
    other = docker_client.networks.create(f"fakenet-{labels[RUN_LABEL]}-other", labels=labels)
    made.append(other)
    inspect = docker_client.api.inspect_network

    def removed_first(net_id, *args, **kwargs):
        if net_id == other.id:
            other.remove()
        return inspect(net_id, *args, **kwargs)

    monkeypatch.setattr(docker_client.api, "inspect_network", removed_first)
    mine = subnets.create_network(docker_client, f"fakenet-{labels[RUN_LABEL]}", subnets.BRIDGE_POOL, 4,
                                  labels[RUN_LABEL], driver="bridge", labels=labels)
    made.append(mine)
    assert mine.name == f"fakenet-{labels[RUN_LABEL]}" and _subnet(mine).subnet_of(subnets.BRIDGE_POOL)
