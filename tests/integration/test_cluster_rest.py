"""Issue 19/14 on port 9094: ipfs-cluster 1.x's REST API with plain CIDs, paths, /add and its
errors, driven by raw HTTP and by asyncipfscluster from PyPI, on real node processes."""

import asyncio

import pytest
import requests
from asyncipfscluster import IPFSClient

from support import local_nodes as local
from fakenet.harness.waits import wait_for

TTL = 2.0
SETTINGS = {"cluster_ttl": TTL, "sync_timeout": 1}
HELLO_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # `echo "hello world" | ipfs add`


def url(node, path=""):
    return node.url("cluster") + path


def call(node, method, path, auth=True, **kwargs):
    """auth: True for the node's RPC credentials (the cluster API takes the same), None for none."""
    auth = node.credentials if auth is True else auth
    return requests.request(method, url(node, path), auth=auth, timeout=15, **kwargs)


def lines(response):
    return [requests.models.complexjson.loads(line) for line in response.text.splitlines()]


def pinned_blocks(node) -> set[str]:
    answer = requests.post(f"{node.ipfs_url}/api/v0/pin/ls", timeout=10).json()
    return set(answer["Keys"])


def wait_cluster(nodes):
    def live():
        return [sorted(p["id"] for p in lines(call(node, "GET", "/peers")) if not p["error"]) for node in nodes]

    wait_for(live, lambda seen: all(len(ids) == len(nodes) for ids in seen) and
             not any(call(node, "GET", "/id").json()["warming_up"] for node in nodes),
             timeout=15, expected="every node hears every other and is past warm-up",
             logs=lambda: [line for node in nodes for line in node.logs(6)])


@pytest.fixture
def pair(tmp_path, start_nodes):
    nodes = start_nodes(local.full_mesh(tmp_path, 2, SETTINGS))
    wait_cluster(nodes)
    return nodes


@pytest.fixture(scope="module")
def refusing_pair(tmp_path_factory, start_shared_nodes):
    """A pair for the refusals: each request is refused, so nothing on it changes (conftest)."""
    nodes = start_shared_nodes(local.full_mesh(tmp_path_factory.mktemp("refusing"), 2, SETTINGS))
    wait_cluster(nodes)
    return nodes


def wait_everywhere_pinned(nodes, cid_v1):
    wait_for(lambda: {node.name: cid_v1 in pinned_blocks(node) for node in nodes}, lambda seen: all(seen.values()),
             timeout=10, expected=f"{cid_v1} pinned on every node",
             logs=lambda: [line for node in nodes for line in node.logs(6)])


def test_add_stores_the_file_as_ipfs_add_does_and_every_peer_pins_it(pair):
    added = call(pair[0], "POST", "/add", files={"file": ("hello.txt", b"hello world\n")})
    assert added.status_code == 200, added.text
    [output] = lines(added)
    assert output["cid"] == HELLO_CID and output["name"] == "hello.txt"
    pin = call(pair[1], "GET", f"/allocations/{HELLO_CID}").json()
    assert pin["name"] == "hello.txt" and pin["cid"] == HELLO_CID
    wait_everywhere_pinned(pair, "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby")
    assert b"hello world\n" in requests.post(f"{pair[1].ipfs_url}/api/v0/block/get?arg={HELLO_CID}", timeout=10).content


def test_a_plain_cid_is_pinned_by_id_and_by_path_and_unpinned_by_path(pair):
    key = requests.post(f"{pair[0].ipfs_url}/api/v0/block/put", files={"data": b"plain"}, timeout=10).json()["Key"]
    assert call(pair[0], "POST", f"/pins/{key}").status_code == 200
    wait_everywhere_pinned(pair, key)
    wait_for(lambda: {peer["status"] for peer in call(pair[1], "GET", f"/pins/{key}").json()["peer_map"].values()},
             lambda seen: seen == {"pinned"}, timeout=5, expected=f"GET /pins/{key}: pinned on every peer")
    assert call(pair[1], "DELETE", f"/pins/ipfs/{key}").status_code == 200
    wait_for(lambda: [key in pinned_blocks(node) for node in pair], lambda seen: not any(seen), timeout=10,
             expected=f"{key} unpinned everywhere")
    assert call(pair[1], "POST", f"/pins/ipfs/{key}?replication-min=1&replication-max=1").json()["cid"] == key
    assert call(pair[1], "DELETE", f"/pins/ipfs/{key}").status_code == 200


def test_lists_stream_one_object_per_line_and_empty_ones_are_204(pair):
    assert call(pair[0], "GET", "/allocations").status_code == 204
    call(pair[0], "POST", "/add", files={"file": ("a", b"a")})
    call(pair[0], "POST", "/add", files={"file": ("b", b"b")})
    listed = call(pair[0], "GET", "/allocations")
    assert listed.headers["Content-Type"].startswith("application/json")
    assert sorted(item["name"] for item in lines(listed)) == ["a", "b"]
    graph = call(pair[0], "GET", "/health/graph").json()
    assert set(graph["id_to_peername"].values()) == {node.name for node in pair}


@pytest.mark.parametrize("method, path, kwargs, status, words", [
    ("GET", "/pins/notacid", {}, 400, "neither a CID nor a stream id"),
    ("POST", "/pins/ipns/example.org", {}, 400, "cannot be resolved"),
    ("GET", "/nowhere", {}, 404, "Not Found"),
    ("PUT", "/pins", {}, 405, "Method Not Allowed"),
    ("POST", "/add", {"data": b"x" * (1024 * 1024 + 1)}, 413, "over the limit"),
    ("POST", "/add", {"data": b"not multipart"}, 400, "multipart"),
    ("POST", "/add", {"data": b"--b\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=b"}},
     400, ""),
])
def test_refusals_are_ipfs_cluster_json_errors(refusing_pair, method, path, kwargs, status, words):
    answer = call(refusing_pair[0], method, path, **kwargs)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == status and words in body["message"]


def test_auth_is_required_unless_the_operator_turns_it_off(tmp_path, start_nodes, pair):
    assert call(pair[0], "GET", "/id", auth=None).status_code == 401
    [open_node] = start_nodes(local.full_mesh(tmp_path / "open", 1, variables={"CLUSTER_API_AUTH": "0"}),
                              wait_peers=False)
    assert call(open_node, "GET", "/id", auth=None).status_code == 200


def test_asyncipfscluster_adds_and_its_remove_really_unpins(pair):
    async def add_then_remove():
        async with IPFSClient(url(pair[0]), pair[0].credentials) as client:
            cid = await client.add_bytes(b"hello world\n", "text/plain", filename="hello.txt")
            before = call(pair[0], "GET", f"/allocations/{cid}").status_code
            await client.remove(cid)
            return cid, before

    cid, before = asyncio.run(add_then_remove())
    assert cid == HELLO_CID and before == 200
    assert call(pair[0], "GET", f"/allocations/{cid}").status_code == 404


def test_a_stream_id_still_pins_through_the_same_routes(pair):
    stream = pair[0].rpc.createstream({"rest": "stream"})["streamId"]
    assert call(pair[1], "POST", f"/pins/ipfs/{stream}").json()["cid"] == stream
    wait_for(lambda: [stream in node.rpc.listpins() for node in pair], all, timeout=10,
             expected=f"{stream} pinned on both nodes")
    assert call(pair[1], "DELETE", f"/pins/{stream}").status_code == 200
