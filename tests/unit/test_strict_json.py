"""fakenet/node/strict_json.py: what a client or a peer sends is read as JSON (RFC 8259) has it, with
no NaN, no infinities and no number past a float's range, at every edge that reads JSON."""

import json

import pytest

from fakenet.node import framing, strict_json

NOT_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"]


@pytest.mark.parametrize("number", NOT_NUMBERS)
def test_nan_infinities_and_out_of_range_numbers_are_bad_json(number):
    with pytest.raises(json.JSONDecodeError, match="RFC 8259|out of range"):
        strict_json.loads('{"queries": [], "timeout": %s}' % number)
    with pytest.raises(json.JSONDecodeError):
        strict_json.loads(('[1, %s]' % number).encode())
    assert json.loads('[%s]' % number)  # what Python's own json lets in


def test_json_itself_reads_as_before():
    text = '{"a": [1, -2.5e3, 1e308, "NaN", null, true], "b": {"c": "Infinity"}}'
    assert strict_json.loads(text) == json.loads(text) and strict_json.loads(text.encode()) == json.loads(text)
    with pytest.raises(json.JSONDecodeError, match="Expecting property name"):
        strict_json.loads("{")  # other malformed JSON: json's own error, as before


@pytest.mark.parametrize("number", NOT_NUMBERS)
def test_a_peer_s_frame_with_nan_or_an_infinity_is_refused(number):
    with pytest.raises(framing.FrameError, match="not JSON"):
        framing.decode(b'{"t":"pong","n":1,"s":%s}' % number.encode())
    with pytest.raises(framing.FrameError, match="not JSON"):
        framing.decode(b' {"t":"pong","s":%s}' % number.encode())  # the slow path: not a "{" first
    assert framing.decode(b'{"t":"pong","n":1,"s":0.25}')["s"] == 0.25


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_a_frame_of_ours_with_nan_or_an_infinity_fails_where_it_is_sent(number):
    """Not sent, to be refused by an honest peer: the reader and the writer agree on what JSON is."""
    with pytest.raises(ValueError, match="not JSON compliant"):
        framing.payload({"t": "pong", "s": number})
