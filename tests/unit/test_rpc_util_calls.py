"""The cheap bitcoin-core calls fakenet answers as Litecoin Core does: validateaddress, addnode's HOST:PORT."""

import pytest

from fakenet.node.rpc.hostport import to_multiaddr
from fakenet.node.rpc.util import describe

P2WPKH = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # BIP173's test program at the regtest prefix


def test_a_regtest_segwit_address_is_described_as_core_describes_it():
    info = describe(P2WPKH)
    assert info == {"isvalid": True, "address": P2WPKH, "scriptPubKey": "0014751e76e8199196d454941c45d1b3a323f1433bd6",
                    "isscript": False, "iswitness": True, "witness_version": 0,
                    "witness_program": "751e76e8199196d454941c45d1b3a323f1433bd6"}


@pytest.mark.parametrize("address", ["", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "not an address", P2WPKH[:-1]])
def test_anything_else_is_just_invalid(address):
    assert describe(address) == {"isvalid": False}


@pytest.mark.parametrize("given, dialled", [
    ("node2:4011", "/dns4/node2/tcp/4011"), ("10.0.0.3:4011", "/ip4/10.0.0.3/tcp/4011"),
    ("[::1]:4011", "/ip6/::1/tcp/4011"), ("/dns4/node2/tcp/4011", "/dns4/node2/tcp/4011"), (7, 7)])
def test_addnode_takes_host_and_port_as_core_does(given, dialled):
    assert to_multiaddr(given) == dialled
