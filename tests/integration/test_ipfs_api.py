"""The IPFS-style HTTP RPC on 5011, driven by a real IPFS client (ipfshttpclient) and by raw HTTP.

ipfshttpclient's own `swarm.connect` cannot be used: it sends every character of the address as
one more `arg` (py-ipfs-http-client issue #246), which Kubo refuses too. That endpoint is driven
with plain HTTP instead.
"""

import io
import warnings

import dag_cbor
import ipfshttpclient
import pytest
import requests

from support import local_nodes as local
from fakenet.harness.waits import wait_for
from fakenet.node.settings import IPFS_PORT
from fakenet.node.version import __version__ as fakenet_version
from fakenet.node.streams import cid_of

# ipfshttpclient's requests wrapper passes urllib3 an argument urllib3 2.x deprecates: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")


def _ipfs_up(node):
    wait_for(lambda: requests.post(f"{node.ipfs_url}/api/v0/version", timeout=2).status_code, lambda s: s == 200,
             timeout=10, expected=f"{node.name} answers on {node.ipfs_url}", logs=node.logs)


def _connect(node):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ipfshttpclient.exceptions.VersionMismatch)
        return ipfshttpclient.connect(f"/ip4/{node.ip}/tcp/{IPFS_PORT}/http")


def _call(node, endpoint, method="post", **kwargs):
    return getattr(requests, method)(f"{node.ipfs_url}/api/v0/{endpoint}", timeout=15, **kwargs)


def _kubo_error(response, status=500, code=0):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Type"] == "error" and body["Code"] == code
    return body["Message"]


@pytest.fixture
def pair(tmp_path, start_nodes):
    nodes = start_nodes(local.full_mesh(tmp_path, 2))
    for node in nodes:
        _ipfs_up(node)
    return nodes


@pytest.fixture
def client(pair):
    with _connect(pair[0]) as client:
        yield client


@pytest.fixture(scope="module")
def reading_pair(tmp_path_factory, start_shared_nodes):
    """A pair for the tests that only read, get refused, or put a block nobody else asks about: they
    change nothing another test reads (no pins, no peers), so they share it (conftest)."""
    nodes = start_shared_nodes(local.full_mesh(tmp_path_factory.mktemp("reading"), 2))
    for node in nodes:
        _ipfs_up(node)
    return nodes


@pytest.fixture
def reading_client(reading_pair):
    with _connect(reading_pair[0]) as client:
        yield client


def test_client_connects_and_sees_the_node_and_its_peer(pair, client):
    a, b = pair
    peer_a, peer_b = a.rpc.getnetworkinfo()["peerid"], b.rpc.getnetworkinfo()["peerid"]
    info = client.id()
    assert info["ID"] == peer_a
    assert info["Addresses"] == [f"{a.swarm_addr}/p2p/{peer_a}"]
    assert info["AgentVersion"].startswith("kubo/") and info["ProtocolVersion"] == "ipfs/0.1.0"
    assert info["PublicKey"].startswith("CAESI")  # base64 of protobuf {Type: Ed25519, Data: 32 bytes}
    ipfshttpclient.client.assert_version(client.version()["Version"])
    peers = client.swarm.peers()["Peers"]
    assert [p["Peer"] for p in peers] == [peer_b]
    assert peers[0]["Addr"] == b.swarm_addr if peers[0]["Direction"] == 2 else peers[0]["Direction"] == 1
    assert client.id(peer_b)["ID"] == peer_b


def test_block_put_get_stat_round_trip_through_the_client(client):
    data = b"fakenet says hello to an IPFS client"
    put = client.block.put(io.BytesIO(data))
    assert put == {"Key": str(cid_of(data, "raw")), "Size": len(data)}
    assert client.block.get(put["Key"]) == data
    assert client.block.stat(put["Key"]) == put


def test_dag_cbor_block_and_pin_on_put(client):
    data = dag_cbor.encode({"hello": "world", "n": 1})
    put = client.block.put(io.BytesIO(data), opts={"cid-codec": "dag-cbor", "pin": "true"})
    assert put["Key"] == str(cid_of(data, "dag-cbor"))
    assert put["Key"] in client.pin.ls(type="recursive")["Keys"]


def test_pin_add_ls_rm_through_the_client(client):
    key = client.block.put(io.BytesIO(b"pin me"))["Key"]
    assert key not in client.pin.ls()["Keys"]
    assert client.pin.add(key) == {"Pins": [key]}
    assert client.pin.ls()["Keys"][key] == {"Type": "recursive"}
    assert client.pin.ls(key) == {"Keys": {key: {"Type": "recursive"}}}
    assert client.pin.rm(key) == {"Pins": [key]}
    assert key not in client.pin.ls()["Keys"]
    with pytest.raises(ipfshttpclient.exceptions.ErrorResponse, match="not pinned"):
        client.pin.rm(key)


def test_client_sees_kubo_errors(reading_client):
    client = reading_client
    missing = str(cid_of(b"never stored", "raw"))
    with pytest.raises(ipfshttpclient.exceptions.ErrorResponse, match=r"not found locally \(offline\)"):
        client.block.get(missing)
    with pytest.raises(ipfshttpclient.exceptions.ErrorResponse, match='invalid path "not-a-cid"'):
        client.block.stat("not-a-cid")
    assert client.id()["ID"]


BAD_REQUESTS = [
    ("block/get", {"params": {"arg": "not-a-cid"}}, 500, 'invalid path "not-a-cid": selected encoding not supported'),
    ("block/get", {"params": {"arg": "x"}}, 500, 'invalid path "x": cid too short'),
    ("block/get", {"params": {"arg": str(cid_of(b"nope", "raw"))}}, 500, "block was not found locally (offline)"),
    ("block/stat", {"params": {"arg": "/ipfs/zzz"}}, 500, 'invalid path "/ipfs/zzz": invalid cid'),
    ("block/get", {}, 400, 'argument "cid" is required'),
    ("pin/add", {"params": {"arg": ""}}, 400, 'argument "ipfs-path" is required'),
    ("pin/add", {"params": {"arg": str(cid_of(b"nope", "raw"))}}, 500, "not found locally"),
    ("pin/rm", {"params": {"arg": str(cid_of(b"nope", "raw"))}}, 500, "not pinned or pinned indirectly"),
    ("pin/ls", {"params": {"arg": str(cid_of(b"nope", "raw"))}}, 500, "is not pinned"),
    ("pin/ls", {"params": {"type": "sideways"}}, 500, "invalid type 'sideways'"),
    ("block/put", {}, 400, 'argument "data" is required'),
    ("block/put", {"data": b"not multipart"}, 400, 'argument "data" is required'),
    ("block/put", {"data": b"", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 400,
     'argument "data" is required'),
    ("block/put", {"data": b"--x--\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 400,
     'argument "data" is required'),
    ("block/put", {"data": b"--x\r\ngarbage", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
     400, "multipart"),
    ("block/put", {"files": {"file": b"\xff\xff"}, "params": {"format": "dag-cbor"}}, 500, "not valid dag-cbor"),
    ("block/put", {"files": {"file": b"x"}, "params": {"format": "v0"}}, 500, 'unsupported block codec "v0"'),
    ("block/put", {"files": {"file": b"x"}, "params": {"mhtype": "sha3-512"}}, 500, "only sha2-256"),
    ("block/put", {"files": {"file": b"x"}, "params": {"pin": "maybe"}}, 400, "cannot parse"),
    ("block/put", {"files": {"file": b"x" * (1024 * 1024 + 1)}}, 413, "413 - Request Entity Too Large"),
    ("swarm/connect", {"params": {"arg": "/"}}, 500, 'failed to parse multiaddr "/"'),
    ("swarm/connect", {}, 400, 'argument "address" is required'),
    ("id", {"params": {"arg": "12D3KooWnobody"}}, 500, "failed to find peer"),
]


def test_bad_requests_get_kubo_errors_and_the_node_keeps_serving(reading_pair):
    a = reading_pair[0]
    for endpoint, kwargs, status, message in BAD_REQUESTS:
        assert message in _kubo_error(_call(a, endpoint, **kwargs), status, 0 if status == 500 else 1), endpoint
    assert _kubo_error(_call(a, "no/such/endpoint"), 404, 1) == "404 - Not Found"
    assert a.running() and a.rpc.getconnectioncount() == 1
    assert _call(a, "id").json()["ID"] == a.rpc.getnetworkinfo()["peerid"]


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_accepted_as_kubo_since_0_5(reading_pair, method):
    a = reading_pair[0]
    key = _call(a, "block/put", files={"file": b"by POST"}).json()["Key"]
    refused = _call(a, "pin/add", method=method, params={"arg": key})
    assert _kubo_error(refused, 405, 1) == "405 - Method Not Allowed" and refused.headers["Allow"] == "POST"
    assert key not in _call(a, "pin/ls").json()["Keys"]


def test_agent_version_names_the_kubo_version_that_version_reports(reading_client):
    client = reading_client
    version = client.version()["Version"]
    assert client.id()["AgentVersion"] == f"kubo/{version}/fakenet-{fakenet_version}"
    ipfshttpclient.client.assert_version(client.id()["AgentVersion"].split("/")[1])


def test_a_cidv0_names_the_same_block_as_its_v1_twin(reading_pair):
    a = reading_pair[0]
    v1 = _call(a, "block/put", files={"file": b"twin"}, params={"format": "raw"}).json()["Key"]
    assert _call(a, "block/get", params={"arg": v1}).content == b"twin"
    assert "invalid path" in _kubo_error(_call(a, "block/get", params={"arg": "Qm" + "1" * 44}))


def _peers(node):
    return {p["Peer"]: p for p in _call(node, "swarm/peers").json()["Peers"]}


def _loner(tmp_path, start_nodes, name="node3", variables=None):
    """A node outside the pair's network (its own addresses and secret) that dials no one."""
    (loner,) = start_nodes(local.nodes(tmp_path, {name: []}, variables=variables), wait_peers=False)
    _ipfs_up(loner)
    return loner, loner.rpc.getnetworkinfo()["peerid"]


def test_swarm_connect_outside_the_network_needs_the_operator(tmp_path, pair, start_nodes):
    outsider, outsider_id = _loner(tmp_path, start_nodes)
    opened, _ = _loner(tmp_path, start_nodes, "node4", {"IPFS_CONNECT_ANY": "1"})  # --ipfs-connect-any
    refused = _call(pair[0], "swarm/connect", params={"arg": f"{outsider.swarm_addr}/p2p/{outsider_id}"})
    assert "--ipfs-connect-any" in _kubo_error(refused) and outsider_id not in _peers(pair[0])
    answer = _call(opened, "swarm/connect", params={"arg": f"{outsider.swarm_addr}/p2p/{outsider_id}"})
    assert answer.json() == {"Strings": [f"connect {outsider_id} success"]}
    assert _peers(opened)[outsider_id]["Addr"] == outsider.swarm_addr and _peers(opened)[outsider_id]["Direction"] == 2


def test_swarm_connect_is_no_port_scanner(tmp_path, pair, start_nodes):
    """An open port (a live HTTP server) and a closed one get the same answer, allowed or not."""
    scanner, _ = _loner(tmp_path, start_nodes, "node4", {"IPFS_CONNECT_ANY": "1"})  # --ipfs-connect-any
    for node in (pair[0], scanner):
        answers = set()
        for port in (IPFS_PORT, 1):
            answer = _call(node, "swarm/connect", params={"arg": f"/ip4/{pair[1].ip}/tcp/{port}"})
            answers.add((answer.status_code, answer.text.replace(f"/tcp/{port}", "/tcp/PORT")))
        assert len(answers) == 1, answers


def test_swarm_connect_failures(reading_pair):
    a, b = reading_pair
    b_id, a_id = b.rpc.getnetworkinfo()["peerid"], a.rpc.getnetworkinfo()["peerid"]
    impostor = _call(a, "swarm/connect", params={"arg": f"{b.swarm_addr}/p2p/{a_id}"})  # b's address, wrong key
    assert f"connect {a_id} failure" in _kubo_error(impostor)
    unreachable = _call(a, "swarm/connect", params={"arg": f"/ip4/{a.ip.rsplit('.', 1)[0]}.9/tcp/4011"})
    assert "failure" in _kubo_error(unreachable)
    assert list(_peers(a)) == [b_id]


def test_client_swarm_connect_is_refused_as_kubo_refuses_it(reading_pair, reading_client):
    client, b = reading_client, reading_pair[1]
    b_id = b.rpc.getnetworkinfo()["peerid"]
    with pytest.raises(ipfshttpclient.exceptions.ErrorResponse, match='failed to parse multiaddr "/"'):
        client.swarm.connect(f"{b.swarm_addr}/p2p/{b_id}")  # issue #246: one extra arg per character


def test_commits_of_a_pinned_stream_are_blocks_too(pair, client):
    api = pair[0].api_url
    stream = requests.post(f"{api}/api/v0/streams", json={"content": {"title": "hi"}, "opts": {"pin": True}},
                           timeout=15).json()
    (commit,) = requests.get(f"{api}/api/v0/commits/{stream['streamId']}", timeout=15).json()["commits"]
    assert str(cid_of(client.block.get(commit["cid"]), "dag-jose")) == commit["cid"]  # the JWS block itself
    assert client.pin.add(commit["cid"]) == {"Pins": [commit["cid"]]}
    assert commit["cid"] in client.pin.ls()["Keys"]


def test_aioipfs_calls_work_unchanged(pair):
    import asyncio

    import aioipfs

    async def session():
        client = aioipfs.AsyncIPFS(host=pair[0].ip, port=IPFS_PORT)
        try:
            version, me = await client.core.version(), await client.core.id()
            # aioipfs 0.7.1's block.put hands aiohttp 3.10+ a file object it cannot send: a client bug
            key = _call(pair[0], "block/put", files={"file": b"from aioipfs"}).json()["Key"]
            got = await client.block.get(key)
            async for _ in client.pin.add(key):  # progress reports, as Kubo streams them
                pass
            listed = await client.pin.ls()
            await client.pin.rm(key)
            return version, me, key, got, listed
        finally:
            await client.close()

    version, me, key, got, listed = asyncio.run(session())
    assert me["AgentVersion"] == f"kubo/{version['Version']}/fakenet-{fakenet_version}"
    assert got == b"from aioipfs" and key in listed["Keys"]
