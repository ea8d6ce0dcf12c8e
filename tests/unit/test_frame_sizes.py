"""Issue 24: each stream frame type has a byte limit, checked on the raw payload before decoding."""

import json

import pytest
from hypothesis import given, strategies as st

from fakenet.node import framing, stream_frames
from fakenet.node.stream_network import _fitting
from fakenet.node.streams import codec

LIMITS = {"bq": 100}


def sized(kind: str, size: int) -> bytes:
    """A well-formed payload of `kind` of exactly `size` bytes (padded with an unknown field)."""
    bare = len(framing.payload({"t": kind, "pad": ""}))
    return framing.payload({"t": kind, "pad": "x" * (size - bare)})


def test_a_payload_at_its_types_limit_decodes_and_one_byte_more_is_refused_unread():
    assert framing.decode(sized("bq", 100), LIMITS)["t"] == "bq"
    with pytest.raises(framing.FrameError, match="bq frame of 101 bytes exceeds its 100-byte limit"):
        framing.decode(sized("bq", 101), LIMITS)


def test_the_size_is_checked_before_the_json_is_parsed():
    """Not JSON at all past the type: only a decoder would notice, and it is never reached."""
    with pytest.raises(framing.FrameError, match="exceeds"):
        framing.decode(b'{"t":"bq",' + b"\xff" * 200, LIMITS)


def test_a_type_without_a_limit_has_only_the_frame_limit():
    assert framing.decode(sized("block", 10_000), LIMITS)["t"] == "block"


@pytest.mark.parametrize("payload", [b'{"cids":[],"t":"bq"}', b' {"t":"bq"}', b'{"t": "bq"}', b'{"t":"b\\u0071"}',
                                     b'{"t":"sq","t":"bq","cids":[]}'])
def test_a_payload_that_does_not_begin_with_the_type_it_decodes_as_is_refused(payload):
    """Else a frame could wear a small type's limit (or none) and decode as another."""
    with pytest.raises(framing.FrameError, match="begin"):
        framing.decode(payload, LIMITS)


def test_the_writer_puts_the_type_first_whatever_the_dicts_order():
    assert framing.payload({"qid": "1", "t": "sq"}).startswith(b'{"t":"sq",')


def test_the_byte_limits_hold_every_frame_the_field_limits_allow():
    """A frame within its field limits must never be refused for its size (MAX_BYTES says why)."""
    long_id, longest = "k" * stream_frames.MAX_ID, {"t": "", "qid": "q" * stream_frames.MAX_ID}
    fullest = {
        "sq": {"stream": long_id, "end": long_id}, "qa": {}, "qd": {"nodes": 2**31 - 1, "lost": 2**31 - 1},
        "ar": {"stream": long_id, "tip": long_id},
        "sr": {"stream": long_id, "tip": long_id, "log": [long_id] * stream_frames.MAX_LOG,
               "length": 2**31 - 1},
        "bq": {"cids": [long_id] * stream_frames.MAX_CIDS},
    }
    for kind, fields in fullest.items():
        message = {**longest, "t": kind, **fields}
        stream_frames.check(message)
        assert len(framing.payload(message)) <= stream_frames.MAX_BYTES[kind], kind
    assert set(stream_frames.MAX_BYTES) == set(stream_frames.CHECKS)


def test_blocks_are_split_into_frames_under_the_limit_and_none_is_lost():
    blocks = {codec.cid_of(bytes([i])): bytes([i]) * 200_000 for i in range(12)}
    parts = list(_fitting(blocks.items(), stream_frames.BLOCKS_BYTES))
    assert len(parts) > 1 and sum(len(p) for p in parts) == len(blocks)
    for part in parts:
        message = {"t": "br", "qid": "q" * stream_frames.MAX_ID, "blocks": part}
        stream_frames.check(message)
        assert len(json.dumps(message, separators=(",", ":"))) <= stream_frames.BLOCKS_BYTES
    assert list(_fitting(blocks.items(), stream_frames.BLOCKS_BYTES, one_part=True)) == parts[:1]


def test_a_holder_answers_a_log_of_any_length_with_a_window_under_the_limits():
    """Before: `sr` listed the whole log; past MAX_LOG commits every asker dropped the honest holder."""
    from fakenet.node.stream_network import log_window
    from fakenet.node.streams.state import LogEntry
    log = [LogEntry(codec.cid_of(i.to_bytes(4, "big")), "update") for i in range(3 * stream_frames.MAX_LOG)]
    cids = [str(entry.cid) for entry in log]
    for end in (None, cids[-1], cids[2_000], cids[5]):
        window = log_window(log, end and codec.as_cid(end))
        message = {"t": "sr", "qid": "q" * stream_frames.MAX_ID, "stream": "k" * stream_frames.MAX_ID,
                   "tip": cids[-1], "log": window, "length": len(log)}
        stream_frames.check(message)
        assert len(framing.payload(message)) <= stream_frames.MAX_BYTES["sr"]
        assert window[-1] == (end or cids[-1]) and window == cids[:cids.index(window[-1]) + 1][-stream_frames.MAX_LOG:]
    assert log_window(log, codec.cid_of(b"not in this log")) is None, "a page this node cannot answer is passed on"


@pytest.mark.parametrize("data", [b'{"t":"x"}', b'{"t":"x"} ', b"{", b"{}x", '{"t":"\u00e9"}'.encode(), b"{\xff}",
                                  b'{"t":"\\ud800"}', '{"t":"x"}'.encode("utf-16-le"), '{"t":"x"}'.encode("utf-8-sig"),
                                  b"[1]", b"{\x00}"])
def test_a_payload_decodes_as_json_loads_decodes_it(data):
    """framing skips json.loads' encoding sniff where the sniff can only say UTF-8: same value, same error."""
    def outcome(loads):
        try:
            return loads(data)
        except ValueError as exc:  # UnicodeDecodeError too
            return type(exc), str(exc)
    assert outcome(framing._loads) == outcome(json.loads)


def _leading_type_by_find(data: bytes) -> str | None:
    """The type as read before the reader matched it in one regular expression: the reference."""
    if not data.startswith(framing.TYPE_PREFIX):
        return None
    start = len(framing.TYPE_PREFIX)
    end = data.find(b'"', start, start + framing.MAX_TYPE + 1)
    kind = data[start:end] if end > start else b""
    return None if not kind or b"\\" in kind or not kind.isascii() else kind.decode()


@given(st.one_of(st.binary(max_size=50), st.binary(max_size=50).map(lambda rest: framing.TYPE_PREFIX + rest),
                 st.tuples(st.text(alphabet='ab"\\\x00\x7f\xe9 ', max_size=40), st.binary(max_size=5)).map(
                     lambda parts: framing.TYPE_PREFIX + parts[0].encode() + b'"' + parts[1]),
                 st.integers(0, framing.MAX_TYPE + 2).map(lambda n: framing.TYPE_PREFIX + b"x" * n + b'",')))
def test_the_leading_type_is_what_a_search_for_its_closing_quote_reads(data):
    assert framing.leading_type(data) == _leading_type_by_find(data)
