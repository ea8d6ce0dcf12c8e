"""Swarm keys, multiaddrs, frames and the trust-on-first-use peerstore."""

import asyncio
import json
import struct

import pytest
from hypothesis import given, strategies as st

from fakenet.node.errors import NodeConfigError
from fakenet.node import framing, multiaddr, psk
from fakenet.node.peerstore import IdentityChanged, PeerStore

KEY_TEXT = "/key/swarm/psk/1.0.0/\n/base16/\n" + "ab" * 32 + "\n"


def test_swarm_key_parses_and_fingerprint_hides_the_key():
    key = psk.parse(KEY_TEXT)
    assert key.key == bytes.fromhex("ab" * 32)
    assert len(key.fingerprint) == 16 and "ab" * 8 not in key.fingerprint
    assert psk.parse(psk.SwarmKey.render(key.key)) == key


@pytest.mark.parametrize("text", ["", "/key/swarm/psk/1.0.0/\n/base64/\n" + "ab" * 32, KEY_TEXT.replace("ab", "zz"),
                                  "/key/swarm/psk/1.0.0/\n/base16/\nabcd"])
def test_bad_swarm_keys_are_config_errors(text):
    with pytest.raises(NodeConfigError):
        psk.parse(text)


def test_swarm_key_mac_checks_transcript():
    key = psk.parse(KEY_TEXT)
    assert key.check(b"t", key.mac(b"t")) and not key.check(b"u", key.mac(b"t"))


def test_multiaddr_forms():
    addr = multiaddr.parse("/dns4/node2/tcp/4011/p2p/12D3KooWabc")
    assert (addr.host, addr.port, addr.peer_id, addr.dial_addr) == ("node2", 4011, "12D3KooWabc", "/dns4/node2/tcp/4011")
    assert str(multiaddr.parse("/ip4/127.0.0.2/tcp/4011")) == "/ip4/127.0.0.2/tcp/4011"
    assert [a.host for a in multiaddr.parse_list("/dns4/a/tcp/1, /dns4/b/tcp/2 /dns4/c/tcp/3")] == ["a", "b", "c"]


@pytest.mark.parametrize("text", ["node2:4011", "/dns4/node2/udp/4011", "/dns4/node2/tcp/99999", "/dns4/node2/tcp/x",
                                  "/dns4/node2/tcp/4011/ipfs/Qm"])
def test_bad_multiaddrs(text):
    with pytest.raises(NodeConfigError, match="bad peer address"):
        multiaddr.parse(text)


def _read(data: bytes, **kw):
    async def read():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await framing.read(reader, **kw)
    return asyncio.run(read())


def test_frames_round_trip_and_report_their_size():
    frame = framing.encode({"t": "ping", "n": 1})
    assert _read(frame) == ({"t": "ping", "n": 1}, len(frame))


@pytest.mark.parametrize("data, error", [
    (struct.pack(">I", 100), "exceeds"),
    (struct.pack(">I", 3) + b"{x}", "not JSON"),
    (struct.pack(">I", 2) + b"[]", "not a message"),
    (struct.pack(">I", 8) + b'{"n": 1}', "not a message"),
])
def test_bad_frames_are_frame_errors(data, error):
    with pytest.raises(framing.FrameError, match=error):
        _read(data, max_size=50)


def test_peerstore_trusts_first_use_and_refuses_changes_until_accepted(tmp_path):
    store = PeerStore(tmp_path / "peerstore.json")
    store.check("/dns4/n3/tcp/4011", "old")
    with pytest.raises(IdentityChanged, match="peer identity changed for /dns4/n3/tcp/4011: expected old, got new"):
        store.check("/dns4/n3/tcp/4011", "new")
    store.check("/dns4/n3/tcp/4011", "old")  # the old key came back
    with pytest.raises(IdentityChanged):
        store.check("/dns4/n3/tcp/4011", "new")
    assert store.accept("/dns4/n3/tcp/4011") == "new"
    assert PeerStore(tmp_path / "peerstore.json").expected("/dns4/n3/tcp/4011") == "new"


def test_an_inbound_claim_is_checked_against_trust_but_never_creates_it(tmp_path):
    """S5: a peer dialling in may claim any address; only an address this node dialled is trusted."""
    store = PeerStore(tmp_path / "peerstore.json")
    store.check_claim("/ip4/10.0.0.2/tcp/4011", "impostor")
    assert store.expected("/ip4/10.0.0.2/tcp/4011") is None
    store.check("/ip4/10.0.0.2/tcp/4011", "real")  # dialled: whoever answered there is trusted
    with pytest.raises(IdentityChanged):
        store.check_claim("/ip4/10.0.0.2/tcp/4011", "impostor")
    assert store.refused == {}, "a claim must not become a refusal an operator could accept"
    store.check_claim("/ip4/10.0.0.2/tcp/4011", "real")


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=6))
def test_the_peerstore_file_is_what_json_dumps_writes_with_an_indent_and_sorted_keys(trusted):
    from fakenet.node import peerstore

    assert peerstore.dumps(trusted) == json.dumps(trusted, indent=2, sort_keys=True)
    odd = {**trusted, "n": 1}  # not what _trust stores: written by json itself
    assert peerstore.dumps(odd) == json.dumps(odd, indent=2, sort_keys=True)
