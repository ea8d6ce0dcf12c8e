"""Issue 19: the `ipfscluster` client library (0.2.0, PyPI), unchanged, against local nodes.

It cannot send credentials and reads lists as one JSON array (ipfs-cluster before 1.0), so the
nodes run as README tells its users to: `FAKENET_CLUSTER_API_AUTH=0 FAKENET_CLUSTER_API_LISTS=array`
(the node's `--no-cluster-api-auth --cluster-api-lists array`). It runs in a venv of its own (it
needs ipfshttpclient 0.4.12); expectations come from the test's inputs.
"""

import json
from pathlib import Path

import pytest
import requests

from support import local_nodes as local
from fakenet.harness.waits import wait_for
from fakenet.node.settings import CLUSTER_PORT
from support.client_driver import driver
from support.client_venvs import client_python

REQUIREMENTS = ["ipfscluster==0.2.0", "ipfshttpclient==0.4.12"]
DRIVER = Path(__file__).parent / "cluster_clients" / "drive.py"
SETTINGS = {"cluster_ttl": 2, "sync_timeout": 1}
VARIABLES = {"CLUSTER_API_AUTH": "0", "CLUSTER_API_LISTS": "array"}
HELLO_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # `echo "hello world" | ipfs add`


class IpfsCluster:
    def __init__(self, node):
        self.python = client_python("ipfscluster", REQUIREMENTS)
        self.addr = f"/ip4/{node.ip}/tcp/{CLUSTER_PORT}/http"

    def __call__(self, action: str, *args):
        return driver(self.python, DRIVER, {"PATH": ""}).call(action, self.addr, *(json.dumps(a) for a in args))


@pytest.fixture
def pair(tmp_path, start_nodes):
    return start_nodes(local.full_mesh(tmp_path, 2, SETTINGS, VARIABLES))


def pinned_blocks(node) -> set[str]:
    return set(requests.post(f"{node.ipfs_url}/api/v0/pin/ls", timeout=10).json()["Keys"])


def statuses(client, cid) -> set[str]:
    return {peer["status"] for peer in client("pins.ls", cid)["peer_map"].values()}


def test_ipfscluster_pins_and_unpins_a_plain_cid_on_every_peer(pair):
    a, b = pair
    client = IpfsCluster(a)
    assert client("version")["version"]
    assert client("id")["peername"] == a.name
    key = requests.post(f"{a.ipfs_url}/api/v0/block/put", files={"data": b"plain block"}, timeout=10).json()["Key"]
    pinned = client("pins.add", key)
    assert pinned[0]["cid"] == key
    wait_for(lambda: [key in pinned_blocks(node) for node in pair], all, timeout=15,
             expected=f"{key} pinned on both nodes", logs=lambda: a.logs(6) + b.logs(6))
    wait_for(lambda: statuses(IpfsCluster(b), key), lambda seen: seen == {"pinned"}, timeout=10,
             expected=f"ipfscluster pins.ls({key}) on {b.name}: pinned on every peer")
    assert key in [pin["cid"] for pin in client("allocations.ls")]
    client("pins.rm", key)
    wait_for(lambda: [key in pinned_blocks(node) for node in pair], lambda seen: not any(seen), timeout=15,
             expected=f"{key} unpinned on both nodes", logs=lambda: a.logs(6) + b.logs(6))


def test_ipfscluster_pins_and_unpins_a_stream_id(pair):
    a, b = pair
    stream = a.rpc.createstream({"client": "ipfscluster"})["streamId"]
    client = IpfsCluster(b)
    assert client("pins.add", stream)[0]["cid"] == stream
    wait_for(lambda: [stream in node.rpc.listpins() for node in pair], all, timeout=15,
             expected=f"{stream} pinned on both nodes", logs=lambda: a.logs(6) + b.logs(6))
    client("pins.rm", stream)
    wait_for(lambda: [stream in node.rpc.listpins() for node in pair], lambda seen: not any(seen), timeout=15,
             expected=f"{stream} unpinned on both nodes", logs=lambda: a.logs(6) + b.logs(6))


def test_ipfscluster_adds_bytes_recovers_and_lists_peers(pair):
    a, b = pair
    client = IpfsCluster(a)
    added = client("add_bytes", "hello world\n", "hello.txt")
    assert added["cid"] == HELLO_CID and added["name"] == "hello.txt"
    wait_for(lambda: statuses(client, HELLO_CID), lambda seen: seen == {"pinned"}, timeout=15,
             expected=f"{HELLO_CID} pinned on every peer")
    recovered = client("pins.recover", HELLO_CID)
    assert recovered["cid"] == HELLO_CID and set(recovered["peer_map"]) == {peer["id"] for peer in client("peers.ls")}
    assert sorted(peer["peername"] for peer in client("peers.ls")) == sorted(node.name for node in pair)
