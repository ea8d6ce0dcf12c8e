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
     "FAKENET_STREAM_CACHE_BYTES": "65536",
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


BAD_VALUES = [("FAKENET_SWARM_PORT", "many", "--swarm-port", "a port from 1 to 65535"),
              ("FAKENET_RPC_PORT", "70000", "--rpc-port", "a port from 1 to 65535"),
              ("FAKENET_PEER_TIMEOUT", "nan", "--peer-timeout", "seconds above 0"),  # a NaN timer breaks asyncio's heap
              ("FAKENET_PEER_TIMEOUT", "0", "--peer-timeout", "seconds above 0"),
              ("FAKENET_SYNC_TIMEOUT", "inf", "--sync-timeout", "seconds, 0 or more"),
              ("FAKENET_AUTOMINE", "-1", "--automine", "seconds, 0 or more"),
              ("FAKENET_STREAM_CACHE_LIMIT", "0", "--stream-cache-limit", "a whole number, 1 or more"),
              ("FAKENET_STREAM_CACHE_BYTES", "0", "--stream-cache-bytes", "a whole number, 1 or more"),
              ("FAKENET_API_BODY_LIMIT", "0", "--api-body-limit", "a whole number, 1 or more"),
              ("FAKENET_INTEREST_LIMIT", "1.5", "--interest-limit", "a whole number, 0 or more")]


@pytest.mark.parametrize("variable, value, flag, wanted", BAD_VALUES)
def test_a_value_the_node_cannot_use_is_refused_naming_the_option_and_its_variable(monkeypatch, variable, value, flag,
                                                                                 wanted):
    from fakenet.node.errors import NodeConfigError

    monkeypatch.setenv(variable, value)
    with pytest.raises(NodeConfigError, match=f"{flag} \\(or {variable}\\) is '{value}': expected .*{wanted}"):
        settings.from_args([])  # a container's empty command line: no argparse
    with pytest.raises(NodeConfigError, match=flag):
        settings.from_args(["--debug"])  # argparse converts the variable's text the same way
    monkeypatch.delenv(variable)
    with pytest.raises(NodeConfigError, match=flag):
        settings.from_args([flag, value])


def test_the_node_says_what_is_wrong_in_one_line_and_exits_2(monkeypatch, capsys):
    from fakenet.node import daemon

    monkeypatch.setenv("FAKENET_PEER_TIMEOUT", "nan")
    assert daemon.main([]) == 2
    assert capsys.readouterr().err == ("fakenet-node: --peer-timeout (or FAKENET_PEER_TIMEOUT) is 'nan': "
                                       "expected a number of seconds above 0\n")
    monkeypatch.delenv("FAKENET_PEER_TIMEOUT")
    monkeypatch.setenv("FAKENET_PEERS", "garbage")
    assert daemon.main([]) == 2 and "bad peer address 'garbage'" in capsys.readouterr().err
