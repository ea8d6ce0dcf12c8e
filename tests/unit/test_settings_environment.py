"""settings: a node with an empty command line (a container's) reads its options without argparse
(settings._Defaults); it must get exactly what argparse would have parsed from that empty line."""

import os

import pytest

from fakenet.node import settings

ENVIRONMENTS = [
    {},
    {"FAKENET_DATADIR": "/data", "FAKENET_NODE_NAME": "node3", "FAKENET_BIND": "0.0.0.0", "FAKENET_NETWORK": "other",
     "FAKENET_PEERS": "/dns4/node/tcp/4011 /dns4/node2/tcp/4011", "FAKENET_RPCUSER": "u", "FAKENET_RPCPASSWORD": "p",
     "FAKENET_SWARM_PORT": "4012", "FAKENET_RPC_PORT": "6434", "FAKENET_AUTOMINE": "0.5", "FAKENET_PEER_TIMEOUT": "3",
     "FAKENET_SYNC_TIMEOUT": "4", "FAKENET_CLUSTER": "0", "FAKENET_CLUSTER_REPIN": "off", "FAKENET_CLUSTER_API_AUTH": "no",
     "FAKENET_CLUSTER_API_LISTS": "array", "FAKENET_IPFS_CONNECT_ANY": "1", "FAKENET_STORE": "memory",
     "FAKENET_CORS_ALLOWED_ORIGINS": "https://a.example .*\\.b\\.example", "FAKENET_API_ADMIN_TOKEN": "secret",
     "FAKENET_CLUSTER_SECRET": "s", "FAKENET_DEBUG": "1", "FAKENET_STREAM_CACHE_LIMIT": "7",
     "FAKENET_ANNOUNCE": "/ip4/10.0.0.3/tcp/4011", "FAKENET_API_BODY_LIMIT": "99",
     "FAKENET_INTEREST_LIMIT": "12"},
    {"FAKENET_BIND": "::1", "FAKENET_CLUSTER_API_LISTS": "neither", "FAKENET_STORE": "tape"},  # choices: unchecked on defaults, by both
]


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=["none", "all", "unchecked-choices"])
def test_an_empty_command_line_gives_what_argparse_parses_from_it(environment, monkeypatch):
    for name in [name for name in os.environ if name.startswith("FAKENET_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert vars(settings._defaults()) == vars(settings.parser().parse_args([]))
    assert settings.from_args([]) == settings.from_options(settings.parser().parse_args([]))


def test_a_command_line_is_still_parsed(monkeypatch):
    monkeypatch.setenv("FAKENET_RPC_PORT", "6434")
    parsed = settings.from_args(["--rpc-port", "7000", "--no-cluster", "--peer", "/ip4/127.0.0.2/tcp/4011"])
    assert (parsed.rpc_port, parsed.cluster, len(parsed.peers)) == (7000, False, 1)


def test_a_bad_value_in_the_environment_fails_as_before(monkeypatch):
    monkeypatch.setenv("FAKENET_SWARM_PORT", "many")
    with pytest.raises(ValueError):
        settings.from_args([])
