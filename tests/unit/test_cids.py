"""The hand-read CIDs (fakenet/node/streams/cids.py) against multiformats itself: the same CID
objects and text for what it accepts, an error for what it refuses."""

import hashlib
import random

import pytest
from multiformats import CID

from fakenet.node.streams import cids

CODECS = ("dag-cbor", "dag-jose", "raw", "dag-pb", "dag-json")  # the last one takes multiformats' path


def samples():
    rng = random.Random(7)
    return [CID("base32", 1, codec, ("sha2-256", hashlib.sha256(rng.randbytes(20)).digest()))
            for codec in CODECS for _ in range(5)]


@pytest.mark.parametrize("cid", samples(), ids=str)
def test_reads_makes_and_prints_what_multiformats_does(cid):
    assert cids.decode(bytes(cid)) is CID.decode(bytes(cid)).set(base="base32")
    assert cids.parse(str(cid)) is cid
    assert cids.text(cid) == str(cid)


def test_makes_the_cid_multiformats_makes_for_a_block():
    for codec in CODECS:
        assert cids.of(b"block", codec) is CID("base32", 1, codec, ("sha2-256", hashlib.sha256(b"block").digest()))


def test_other_shapes_go_through_multiformats():
    v0 = CID.decode("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")
    assert cids.decode(bytes(v0)) == v0
    assert cids.parse("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA").codec.name == "raw"


GOOD = bytes(CID("base32", 1, "dag-cbor", ("sha2-256", bytes(32))))


@pytest.mark.parametrize("data", [
    GOOD[:-1],  # a digest short of what the multihash promises
    GOOD + b"\x00",  # a byte after the digest
    b"\x01\xf1\x00" + GOOD[2:],  # the codec as a non-minimal varint
    b"\x02" + GOOD[1:],  # CID version 2
    b"\x01\x71\x12",  # cut inside the multihash header
    b"",
])
def test_refuses_what_multiformats_refuses(data):
    with pytest.raises(Exception):
        CID.decode(data)
    with pytest.raises(Exception):
        cids.decode(data)


@pytest.mark.parametrize("text", ["b" + str(CID.decode(GOOD))[1:].upper(), str(CID.decode(GOOD)) + "a", "bafy!", 12])
def test_refuses_text_that_is_not_a_cid_as_multiformats_prints_it(text):
    with pytest.raises(Exception):
        cids.parse(text)


@pytest.mark.parametrize("cid", samples(), ids=str)
def test_dag_cbor_reads_a_link_as_the_cid_multiformats_reads(cid):
    """cids.DagCborReading stands in for multiformats' CID inside dag_cbor's decoder."""
    import dag_cbor

    assert dag_cbor.decode(dag_cbor.encode({"link": cid}))["link"] is CID.decode(bytes(cid))


@pytest.mark.parametrize("data", [GOOD[:-1], GOOD + b"\x00", b"\x01\xf1\x00" + GOOD[2:], b"\x02" + GOOD[1:]])
def test_dag_cbor_refuses_a_link_multiformats_refuses(data):
    import dag_cbor

    def link(raw: bytes) -> bytes:  # tag 42, a byte string: the identity multibase prefix, then the CID
        return b"\xd8\x2a\x58" + bytes([1 + len(raw)]) + b"\x00" + raw

    assert dag_cbor.decode(link(GOOD)) is CID.decode(GOOD), "the link is written as dag_cbor writes one"
    with pytest.raises(Exception):
        dag_cbor.decode(link(data))


def test_dag_cbor_uses_the_name_cid_only_to_decode_a_link():
    """If a dag_cbor release used `CID` for anything else (isinstance, say), the stand-in would be wrong."""
    import inspect

    import dag_cbor.decoding

    users = {name for name, function in inspect.getmembers(dag_cbor.decoding, inspect.isfunction)
             if function.__module__ == dag_cbor.decoding.__name__ and "CID" in function.__code__.co_names}
    assert users == {"_decode_cid"}
    assert dag_cbor.decoding.CID is cids.DagCborReading
    assert "CID.decode(cid_bytes[1:])" in inspect.getsource(dag_cbor.decoding._decode_cid)
