"""Picking a subnet while other runs tear their networks down (issue 27: a docker scenario's start failed
with 404 "network <id> not found" beside a CPU hog), through the docker SDK's own listing code."""

import ipaddress

import docker
import docker.errors
import pytest

from fakenet import engine_reads
from fakenet.harness.backends import subnets

LISTED = [  # what GET /networks answers: every network with its IPAM config
    {"Id": "kept", "Name": "fakenet-kept", "Scope": "local", "IPAM": {"Config": [{"Subnet": "10.232.1.0/24"}]}},
    {"Id": "gone", "Name": "fakenet-gone", "Scope": "local", "IPAM": {"Config": [{"Subnet": "10.232.2.0/24"}]}},
]


@pytest.fixture
def engine(monkeypatch, tmp_path):
    """A DockerClient whose HTTP calls are answered here: network `gone` is in the listing, but another
    run removes it before any later call about it, as an xdist worker's teardown does."""
    monkeypatch.setattr(subnets, "ROUTES", tmp_path / "no-routes")  # this machine's routes are not the point
    client = docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41")  # never dialled
    created = {}

    def inspect_network(net_id, *args, **kwargs):
        if net_id in created:
            return created[net_id]
        if net_id == "gone":
            raise docker.errors.NotFound(f'network {net_id} not found')
        return next(item for item in LISTED if item["Id"] == net_id)

    def create_network(name, *args, ipam=None, **kwargs):
        created["new"] = {"Id": "new", "Name": name, "IPAM": {"Config": [dict(ipam["Config"][0])]}}
        return {"Id": "new"}

    monkeypatch.setattr(client.api, "networks", lambda *args, **kwargs: [dict(item) for item in LISTED])
    monkeypatch.setattr(client.api, "inspect_network", inspect_network)
    monkeypatch.setattr(client.api, "create_network", create_network)
    return client


def test_a_network_removed_after_the_listing_neither_fails_the_pick_nor_frees_a_subnet_it_still_held(engine):
    assert set(subnets.used(engine_reads.of(engine))) == {ipaddress.ip_network("10.232.1.0/24"), ipaddress.ip_network("10.232.2.0/24")}


def test_a_start_beside_another_runs_teardown_gets_its_network(engine):
    network = subnets.create_network(engine, "fakenet-mine", subnets.BRIDGE_POOL, 4, "mine", driver="bridge")
    subnet = ipaddress.ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"])
    assert network.name == "fakenet-mine" and subnet.subnet_of(subnets.BRIDGE_POOL)
    assert str(subnet) not in ("10.232.1.0/24", "10.232.2.0/24"), subnet
