"""Identifiers and encodings: StreamID/CommitID (CIP-59), blocks, did:key, the public API."""

import pytest
from multiformats import CID

import fakenet.node.streams as streams
from fakenet.node.streams import CommitID, CommitRejected, ControllerKey, InvalidStreamID, StreamID, codec, keys

# Vectors from js-ceramic's streamid tests (the reference implementation of CIP-59).
GENESIS = "bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a"
COMMIT = "bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova"
STREAM_ID = "kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s"
COMMIT_ID = ("k1dpgaqe3i64kjqcp801r3sn7ysi5i0k7nxvs7j351s7kewfzr3l7mdxnj7szwo4kr9mn2qki5nnj0cv836ythy1t1gya9s25"
             "cn1nexst3jxi5o3h6qprfyju")
GENESIS_COMMIT_ID = "k3y52l7qbv1frxwipl4hp7e6jlu4f6u8upm2xv0irmedfkm5cnutmezzi3u7mytj4"


def test_stream_id_matches_the_reference_vector():
    stream_id = StreamID(0, CID.decode(GENESIS))
    assert stream_id.encode() == STREAM_ID
    assert StreamID.parse(STREAM_ID) == stream_id
    assert str(StreamID.parse(STREAM_ID).genesis) == GENESIS


def test_stream_id_of_a_dag_cbor_genesis_round_trips():
    cid, _ = codec.encode({"header": {"controllers": ["did:key:z6Mk"]}})
    text = StreamID(streams.TILE, cid).encode()
    assert text.startswith("k")
    parsed = StreamID.parse(text)
    assert parsed.type == 0 and parsed.genesis == cid


def test_commit_id_vectors_for_an_update_and_for_genesis():
    update = CommitID.parse(COMMIT_ID)
    assert update.stream_id.encode() == STREAM_ID
    assert str(update.commit) == COMMIT and update.encode() == COMMIT_ID
    genesis = CommitID.parse(GENESIS_COMMIT_ID)
    assert genesis.commit is None and genesis.cid == genesis.stream_id.genesis
    assert genesis.encode() == GENESIS_COMMIT_ID


def test_commit_id_at_the_genesis_cid_is_the_genesis_commit_id():
    stream_id = StreamID.parse(STREAM_ID)
    assert CommitID(stream_id, stream_id.genesis) == CommitID(stream_id, None)
    assert CommitID(stream_id, stream_id.genesis).encode() == GENESIS_COMMIT_ID


@pytest.mark.parametrize("text, says", [
    ("", "starting with 'k'"),
    ("bafyreigtt6rkjgcxfgcesslvkog4jh3ufamseordlv7hzxoss44pq22xj4", "starting with 'k'"),
    ("k!!!", "not valid base36"),
    ("kabc", "not a stream id"),
    (GENESIS_COMMIT_ID, "is a CommitID"),
])
def test_stream_id_parse_errors_say_what_is_wrong(text, says):
    with pytest.raises(InvalidStreamID, match=says):
        StreamID.parse(text)
    assert issubclass(InvalidStreamID, ValueError)


def test_commit_id_parse_refuses_a_plain_stream_id():
    with pytest.raises(InvalidStreamID, match="is a StreamID"):
        CommitID.parse(STREAM_ID)


def test_blocks_are_dag_cbor_cidv1_sha256_in_base32():
    cid, data = codec.encode({"b": 1, "a": [1, 2]})
    assert str(cid).startswith("bafyrei")
    assert cid.codec.name == "dag-cbor" and cid.hashfun.name == "sha2-256"
    assert codec.decode(cid, data) == {"a": [1, 2], "b": 1}


def test_decode_rejects_bytes_that_do_not_match_the_cid():
    cid, _ = codec.encode({"a": 1})
    other_cid, other = codec.encode({"a": 2})
    with pytest.raises(CommitRejected) as caught:
        codec.decode(cid, other)
    assert str(cid) in str(caught.value) and str(other_cid) in str(caught.value)


def test_did_key_matches_a_published_vector():
    seed = bytes.fromhex("7052adea8f9823817065456ecad5bf24dcd31a698f7bc9a0b5fc170849af4226")
    assert ControllerKey.from_seed(seed).did == "did:key:z6MkwJSaEMnE4u6LiqrZV1BJHSkc9x8S4mTm3ArNL1m19BZR"


def test_signatures_verify_only_for_their_did_and_message():
    key, other = ControllerKey.generate(), ControllerKey.generate()
    signature = key.sign(b"message")
    assert keys.verify(key.did, signature, b"message")
    assert not keys.verify(key.did, signature, b"massage")
    assert not keys.verify(other.did, signature, b"message")
    assert not keys.verify("did:web:example.com", signature, b"message")


def test_public_api():
    assert sorted(streams.__all__) == sorted([
        "AnchorStatus", "CachedStream", "CommitID", "CommitRejected", "ControllerKey", "InvalidDid",
        "InvalidStreamID", "LogEntry", "MissingCommit", "PinStore", "StreamCache", "StreamID",
        "StreamNotFound", "StreamState", "StreamUnavailable", "TILE", "apply_anchor", "apply_commit", "apply_genesis",
        "as_cid", "cid_of", "codec", "commits", "first_missing", "heads", "jose", "keys", "make_anchor", "make_genesis",
        "make_update", "settle",
        "pick", "rebuild", "replay_steps", "without_anchor",
    ])
    assert all(hasattr(streams, name) for name in streams.__all__)
