"""Issue 26: Models, ModelInstanceDocuments and the index API on 7007, over HTTP, on two local nodes.

Commits are written as js-ceramic writes them (tests/support/ceramic_models.py) and sent as its
http-client sends them; ceramic-python's view of the same is in test_ceramic_clients.py.
"""

import base64

import pytest
import requests

from support import local_nodes as local
from fakenet.node.streams import ControllerKey, codec, jose
from support.ceramic_models import (MID_PREFIX, NOTE_SCHEMA, definition, deterministic_genesis, mid_genesis,
                                    mid_update, model_genesis)
from support.stream_waits import loads_with

ALICE = ControllerKey.from_seed(bytes(range(40, 72)))
BOB = ControllerKey.from_seed(bytes(range(80, 112)))


@pytest.fixture
def pair(tmp_path, start_nodes):
    return start_nodes(local.full_mesh(tmp_path, 2))


def post(node, path, body, expect=200):
    answer = requests.post(f"{node.api_url}{path}", json=body, timeout=30)
    assert answer.status_code == expect, f"{path} answered {answer.status_code}: {answer.text}"
    return answer.json()


def create(node, stream_type, commit, expect=200):
    cid, data = commit
    genesis = jose.to_wire(cid, data) if cid.codec.name == jose.DAG_JOSE else _unsigned(data)
    return post(node, "/api/v0/streams", {"type": stream_type, "genesis": genesis}, expect)


def _unsigned(data: bytes) -> dict:
    """An unsigned genesis as js-ceramic's http-client serialises it: header bytes as base64."""
    header = codec.decode(codec.cid_of(data), data)["header"]
    return {"header": {k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in header.items()}}


def apply(node, stream_id, commit, expect=200):
    return post(node, "/api/v0/commits", {"streamId": stream_id, "commit": jose.to_wire(*commit)}, expect)


def test_indexed_documents_page_by_model_and_account(pair):
    a, _ = pair
    model = create(a, 2, model_genesis(ALICE, definition()))["streamId"]
    unindexed = post(a, "/api/v0/collection", {"models": [model], "first": 5}, expect=400)
    assert "not indexed" in unindexed["error"]
    assert post(a, "/api/v0/admin/models", {"models": [model]}) == {"result": "success"}
    assert requests.get(f"{a.api_url}/api/v0/admin/models", timeout=10).json() == {"models": [model]}
    docs = [create(a, 3, mid_genesis(key, model, {"title": f"t{n}"}, unique=bytes([n]) * 12))["streamId"]
            for n, key in enumerate([ALICE, BOB, ALICE])]

    first = post(a, "/api/v0/collection", {"models": [model], "first": 2})
    assert [e["node"]["content"]["title"] for e in first["edges"]] == ["t0", "t1"]
    assert first["pageInfo"]["hasNextPage"] and first["edges"][0]["node"]["metadata"]["model"] == model
    rest = post(a, "/api/v0/collection", {"models": [model], "first": 2, "after": first["pageInfo"]["endCursor"]})
    assert [e["node"]["content"]["title"] for e in rest["edges"]] == ["t2"] and not rest["pageInfo"]["hasNextPage"]
    alice = requests.get(f"{a.api_url}/api/v0/collection", timeout=10,
                         params={"model": model, "account": ALICE.did, "first": 10}).json()
    assert [e["cursor"] for e in alice["edges"]] and [e["node"]["content"]["title"] for e in alice["edges"]] == ["t0", "t2"]
    assert post(a, "/api/v0/collection/count", {"models": [model], "account": BOB.did}) == {"count": 1}
    assert all(doc.startswith(MID_PREFIX) for doc in docs)
    assert "Maximum is 1000" in post(a, "/api/v0/collection", {"models": [model], "first": 5000}, expect=400)["error"]


def test_a_single_document_is_deterministic_and_filled_by_its_first_update(pair):
    a, b = pair
    profile = create(a, 2, model_genesis(ALICE, definition("Profile", {"type": "single"}, NOTE_SCHEMA)))["streamId"]
    first = create(a, 3, deterministic_genesis(ALICE.did, profile))
    again = create(b, 3, deterministic_genesis(ALICE.did, profile))
    assert first["streamId"] == again["streamId"] and first["state"]["content"] is None
    genesis = codec.as_cid(first["state"]["log"][0]["cid"])
    refused = apply(a, first["streamId"], mid_update(ALICE, genesis, genesis, [{"op": "add", "path": "/title",
                                                                                "value": 7}]), expect=400)
    assert "/title: 7 is not of type 'string'" in refused["error"]
    filled = apply(a, first["streamId"], mid_update(ALICE, genesis, genesis, [{"op": "add", "path": "/title",
                                                                               "value": "me"}]))
    assert filled["state"]["content"] == {"title": "me"}
    loads_with(b, first["streamId"], {"title": "me"}, "the filled profile loads on the second node")


def test_a_genesis_of_another_type_than_asked_is_refused(pair):
    a, _ = pair
    model = create(a, 2, model_genesis(ALICE, definition()))["streamId"]
    refused = create(a, 0, mid_genesis(ALICE, model, {"title": "x"}), expect=400)
    assert "type 0 (tile) was asked, but this genesis makes a MID" in refused["error"]
    genesis = codec.as_cid(requests.get(f"{a.api_url}/api/v0/commits/{model}", timeout=10).json()["commits"][0]["cid"])
    assert "Cannot update a finalized Model" in apply(a, model, mid_update(ALICE, genesis, genesis, []), expect=400)["error"]


def test_an_interface_takes_no_documents_and_an_implementation_must_keep_its_fields(pair):
    """The interface Model rules over HTTP: a Model whose schema widens a field of the interface it
    names is a 400 listing the difference; the other node, loading the good one, checks it too."""
    a, b = pair
    face = create(a, 2, model_genesis(ALICE, definition("Rated", interface=True)))["streamId"]
    assert "cannot be created on interface Models" in create(a, 3, mid_genesis(ALICE, face, {"title": "x"}),
                                                            expect=400)["error"]
    review = definition("Review", implements=[face])
    good = create(a, 2, model_genesis(ALICE, review))["streamId"]
    wider = {**NOTE_SCHEMA, "properties": {**NOTE_SCHEMA["properties"], "stars": {"type": "integer", "minimum": -5}}}
    refused = create(a, 2, model_genesis(ALICE, definition("Loose", schema=wider, implements=[face])), expect=400)
    assert f"Invalid implementation of interface {face}: schema: /stars: minimum must be 0, is -5" in refused["error"]
    loads_with(b, good, review, "the implementation loads on the second node, checked against its interface")
