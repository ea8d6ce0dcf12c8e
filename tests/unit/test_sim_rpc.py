"""The sim's RPC client hands the harness what an HTTP client of the node would read: the reply
through JSON text (fakenet/sim/rpc.py)."""

import json

import pytest

from fakenet.sim.rpc import through_json

REPLIES = [None, True, 1, 10**30, 2.5, -0.0, float("inf"), "é\u2028\x00", "", [], {}, [1, (2, 3)],
           {"a": {1: True, None: 1.0, 2.5: "x", False: []}}, {"peers": [{"id": 3, "pingtime": None}]}]


@pytest.mark.parametrize("reply", REPLIES, ids=repr)
def test_a_reply_reads_back_as_json_loads_reads_json_dumps(reply):
    assert repr(through_json(reply)) == repr(json.loads(json.dumps(reply)))


def test_nan_reads_back_as_nan_and_a_copy_shares_nothing():
    assert repr(through_json([float("nan")])) == "[nan]"
    reply = {"a": [1, {"b": 2}]}
    copy = through_json(reply)
    copy["a"][1]["b"] = 3
    assert reply == {"a": [1, {"b": 2}]}


def test_a_value_json_cannot_encode_raises_as_json_dumps_does():
    with pytest.raises(TypeError, match="not JSON serializable"):
        through_json({"x": object()})


@pytest.mark.parametrize("body", [{"method": "getpeerinfo", "params": [], "id": 1, "jsonrpc": "2.0"},
                                  [{"method": "x", "params": ["é", 1.5, None, True], "id": "a"}], "text"], ids=repr)
def test_a_request_is_the_text_json_dumps_makes(body):
    from fakenet.sim.rpc import dumps

    assert dumps(body) == json.dumps(body)
