import base64
import json

import pytest

from fakenet.node.errors import NodeConfigError
from fakenet.node import datadir
from fakenet.node.identity import Identity, public_from_peer_id, verify


def test_peer_id_is_an_inlined_ed25519_key_as_libp2p_prints_it():
    identity = Identity.generate()
    assert identity.peer_id.startswith("12D3KooW") and len(identity.peer_id) == 52
    assert bytes(public_from_peer_id(identity.peer_id)) == bytes(identity.private_key.verify_key)


def test_config_private_key_is_the_libp2p_protobuf_and_round_trips():
    identity = Identity.generate()
    section = identity.to_config()
    blob = base64.b64decode(section["PrivKey"])
    assert blob[:4] == b"\x08\x01\x12\x40" and len(blob) == 68  # Type=Ed25519, Data=64 bytes (seed + public)
    assert Identity.from_config(section).peer_id == identity.peer_id


def test_a_key_that_does_not_match_its_peer_id_is_refused():
    section = {**Identity.generate().to_config(), "PeerID": Identity.generate().peer_id}
    with pytest.raises(NodeConfigError, match="does not match Identity.PeerID"):
        Identity.from_config(section)


def test_signatures_verify_only_for_their_peer_id_and_message():
    a, b = Identity.generate(), Identity.generate()
    signature = a.sign(b"hello")
    assert verify(a.peer_id, signature, b"hello")
    assert not verify(b.peer_id, signature, b"hello")
    assert not verify(a.peer_id, signature, b"hullo")
    assert not verify("not-a-peer-id", signature, b"hello")


def test_first_start_writes_a_config_and_later_starts_reuse_it(tmp_path):
    first = datadir.load_or_create_identity(tmp_path)
    assert json.loads((tmp_path / "config").read_text())["Identity"]["PeerID"] == first.peer_id
    assert datadir.load_or_create_identity(tmp_path).peer_id == first.peer_id
    (tmp_path / "config").unlink()
    assert datadir.load_or_create_identity(tmp_path).peer_id != first.peer_id


def test_unreadable_config_is_a_clear_error(tmp_path):
    (tmp_path / "config").write_text("{not json")
    with pytest.raises(NodeConfigError, match="cannot read"):
        datadir.load_or_create_identity(tmp_path)


def test_peer_ids_are_what_multiformats_makes_of_the_same_keys():
    """identity.py encodes PeerIDs itself (multiformats is too slow to import before ready): the
    reference, both ways, including keys whose multihash has leading zero bytes in base58."""
    from multiformats import multibase, multihash

    from fakenet.node import base58btc, identity as identity_module

    base58 = multibase.get("base58btc")
    for seed in [bytes(32), b"\xff" * 32, *(bytes([n]) * 32 for n in range(1, 40))]:
        key = Identity.from_config(Identity.from_seed(seed).to_config())
        encoded = identity_module._protobuf_key(identity_module.ED25519_KEY_TYPE, bytes(key.private_key.verify_key))
        assert key.peer_id == base58.raw_encoder(multihash.wrap(encoded, "identity"))
        assert bytes(public_from_peer_id(key.peer_id)) == bytes(key.private_key.verify_key)
    for data in [b"", b"\0", b"\0\0\1", b"\1\0", bytes(range(256))]:
        assert base58btc.encode(data) == base58.raw_encoder(data)
        assert base58btc.decode(base58.raw_encoder(data)) == data


@pytest.mark.parametrize("text", ["", "0OIl", "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",  # a sha2-256 (RSA) PeerID
                                  "12D3KooW", "1" * 52])
def test_what_is_not_an_inlined_ed25519_peer_id_is_refused(text):
    with pytest.raises(NodeConfigError):
        public_from_peer_id(text)
