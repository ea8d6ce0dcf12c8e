"""Issue 19: Ceramic client libraries from PyPI, unchanged, against local nodes.

Each client runs in a virtualenv of its own (made once, under this venv's prefix): ceramic-py
pins dag-cbor 0.2 and multiformats 0.1, which the node cannot use, and ceramic-python and
ceramicsdk both install a package named `ceramic_python`. The clients are driven through
ceramic_clients/drive.py; every expectation here comes from the test's own inputs.
"""

import json
from pathlib import Path

import pytest
import requests

from support import local_nodes as local
from fakenet.harness.waits import wait_for
from fakenet.node.streams import CommitID, ControllerKey, StreamID
from support.ceramic_models import META_MODEL, MID_PREFIX, MODEL_PREFIX
from support.client_driver import driver
from support.client_venvs import client_python

CLIENTS = {"ceramic-py": "ceramic-py==0.1.0", "ceramic-python": "ceramic-python==0.1.7",
           "ceramicsdk": "ceramicsdk==0.1.4"}
DRIVER = Path(__file__).parent / "ceramic_clients" / "drive.py"
SEED = bytes(range(7, 39))
DID = ControllerKey.from_seed(SEED).did  # the did:key of SEED, the same for every client


class Client:
    def __init__(self, name: str, url: str):
        self.name, self.url, self.python = name, url, client_python(name, [CLIENTS[name]])

    def __call__(self, action: str, *args):
        return driver(self.python, DRIVER, {"CLIENT_DID": DID, "PATH": ""}).call(
            self.name, action, self.url, *(json.dumps(arg) for arg in args))


@pytest.fixture
def pair(tmp_path, start_nodes):
    return start_nodes(local.full_mesh(tmp_path, 2))


def _loads_on(node, stream_id, content):
    wait_for(lambda: requests.get(f"{node.api_url}/api/v0/streams/{stream_id}", timeout=10).json(),
             lambda doc: doc.get("state", {}).get("content") == content, timeout=15,
             expected=f"{stream_id} loads on {node.name} with {content}", logs=node.logs)


def test_ceramic_py_creates_updates_loads_pins_and_reads_commits(pair):
    a, b = pair
    client = Client("ceramic-py", a.api_url)
    seed = SEED.hex()
    stream_id = client("create", DID, seed, {"title": "first"})
    assert stream_id.startswith("kjzl6cwe1"), "a signed genesis gets a Ceramic-style stream id"
    assert client("get_data", stream_id)[0] == {"title": "first"}
    client("update", DID, seed, stream_id, {"title": "second", "n": 2})
    status, doc = client("get_stream", stream_id)
    assert (status, doc["state"]["content"]) == (200, {"title": "second", "n": 2})
    assert doc["state"]["doctype"] == "tile" and doc["state"]["metadata"]["controllers"] == [DID]
    assert client("get_data", stream_id)[0] == {"title": "second", "n": 2}
    _loads_on(b, stream_id, {"title": "second", "n": 2})

    genesis_cid = doc["state"]["log"][0]["cid"]
    at_genesis = CommitID(StreamID.parse(stream_id), genesis_cid).encode()
    assert client("get_stream", at_genesis)[1]["state"]["content"] == {"title": "first"}

    assert client("pin_stream", stream_id)[0] == 200  # created with opts.pin: pinning again is fine
    assert stream_id in requests.get(f"{a.api_url}/api/v0/admin/pins", timeout=10).json()["pinnedStreamIds"]
    assert client("unpin_stream", stream_id) == [200, {"streamId": stream_id, "isPinned": False}]
    assert requests.get(f"{a.api_url}/api/v0/pins/{stream_id}", timeout=10).json() == {"pinnedStreamIds": []}


@pytest.mark.parametrize("name", ["ceramic-python", "ceramicsdk"])
def test_ceramic_python_clients_create_patch_and_load_a_tile(pair, name):
    a, b = pair
    client = Client(name, a.api_url)
    stream_id = client("create_tile", SEED.hex(), {"title": "first"}, {"anchor": True, "pin": True})
    assert stream_id.startswith("kjzl6cwe1")
    client("patch_tile", SEED.hex(), stream_id, [{"op": "add", "path": "/n", "value": 2}])
    state = client("get_stream_state", stream_id)
    assert state["content"] == {"title": "first", "n": 2} and len(state["log"]) == 2
    genesis, tip = client("get_stream_commits", stream_id)
    assert [genesis, tip] == [entry["cid"] for entry in state["log"]]
    assert client("load_stream", stream_id)["streamId"] == stream_id
    _loads_on(b, stream_id, {"title": "first", "n": 2})


NOTE = {"version": "2.0", "name": "Note", "interface": False, "implements": [], "accountRelation": {"type": "list"},
        "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "additionalProperties": False, "required": ["title"],
                   "properties": {"title": {"type": "string", "maxLength": 20}, "stars": {"type": "integer"}}}}


@pytest.mark.parametrize("name", ["ceramic-python", "ceramicsdk"])
def test_ceramic_python_writes_a_document_of_a_model_another_node_loads_and_a_bad_update_changes_nothing(pair, name):
    a, b = pair
    client = Client(name, a.api_url)
    model = client("create_model", SEED.hex(), NOTE, META_MODEL)
    assert model.startswith(MODEL_PREFIX), f"a Model gets a type-2 stream id, got {model}"
    doc = client("create_mid", SEED.hex(), {"title": "first", "stars": 3}, model)
    assert doc.startswith(MID_PREFIX), f"a MID gets a type-3 stream id, got {doc}"
    assert client("load_mid", doc) == {"content": {"title": "first", "stars": 3}, "model": model, "controller": DID}
    _loads_on(b, doc, {"title": "first", "stars": 3})
    assert Client(name, b.api_url)("load_mid", doc)["model"] == model

    refused = client("replace_mid", SEED.hex(), doc, {"title": "first", "stars": "many"})
    assert "400" in refused["error"] and "/stars" in refused["error"] and "is not of type 'integer'" in refused["error"]
    state = requests.get(f"{a.api_url}/api/v0/streams/{doc}", timeout=10).json()["state"]
    assert state["content"] == {"title": "first", "stars": 3} and len(state["log"]) == 1, "the refused update changed nothing"
    assert client("replace_mid", SEED.hex(), doc, {"title": "second"}) == {"content": {"title": "second"}}
    _loads_on(b, doc, {"title": "second"})


def test_a_document_that_breaks_its_model_is_refused_at_creation(pair):
    a, _ = pair
    client = Client("ceramic-python", a.api_url)
    model = client("create_model", SEED.hex(), NOTE, META_MODEL)
    with pytest.raises(AssertionError, match=r"(?s)400 Client Error.*/title: .*far too long a title for this note.* is too long"):
        client("create_mid", SEED.hex(), {"title": "far too long a title for this note"}, model)
    with pytest.raises(AssertionError, match=r"(?s)400 Client Error.*Unexpected key .colour. found in content for Model Stream"):
        client("create_model", SEED.hex(), {**NOTE, "colour": "red"}, META_MODEL)


def test_multiquery_loads_streams_and_follows_paths_across_nodes(pair):
    a, b = pair
    client = Client("ceramic-py", a.api_url)
    leaf = client("create", DID, SEED.hex(), {"leaf": True})
    root = client("create", DID, SEED.hex(), {"child": leaf})
    answer = requests.post(f"{b.api_url}/api/v0/multiqueries", timeout=30, json={
        "queries": [{"streamId": root, "paths": ["child"]}, {"streamId": "kjzl6cwe1notastream"}]}).json()
    assert set(answer) == {root, leaf}
    assert answer[leaf]["content"] == {"leaf": True} and answer[root]["doctype"] == "tile"
