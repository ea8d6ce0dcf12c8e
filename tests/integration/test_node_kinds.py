"""A node kind written only under tests/ (tests/kinds), registered through the `fakenet.kinds` entry
point as a third party would, and driven through crash, partition and heal with the graph oracle."""

import sys
from pathlib import Path

import pytest

from fakenet import kinds
from fakenet.errors import ConfigError
from fakenet.harness.network import Network
from fakenet.scenario import ScenarioError, parse

KINDS_DIR = Path(__file__).resolve().parent.parent / "kinds"


@pytest.fixture
def tinypeer_installed(tmp_path, monkeypatch):
    """A distribution's metadata on sys.path, as `pip install` would leave it: importlib finds the entry point."""
    dist = tmp_path / "tinypeer-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tinypeer\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[fakenet.kinds]\ntinypeer = tinypeer_kind:TinyPeerKind\n")
    monkeypatch.syspath_prepend(str(KINDS_DIR))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("tinypeer_kind", None)
    assert "tinypeer" in kinds.names()
    return kinds.get("tinypeer")


@pytest.mark.parametrize("backend", ["local", "sim"])
def test_a_third_party_kind_is_driven_through_crash_partition_and_heal(tinypeer_installed, backend):
    """On sim too: the kind gives its node as objects (in_process_node); the backend knows no kind."""
    with Network(4, backend=backend, topology="ring", kind="tinypeer") as net:
        assert net.kind.name == "tinypeer"
        assert len(set(net.oracle.model.identity.values())) == 4  # identities the kind reported, not names
        net.crash("node3")
        net.oracle.expect_graph(timeout=15)
        net.heal()
        net.oracle.expect_recovered(within=15)
        net.partition([["node", "node2"], ["node3", "node4"]])
        net.oracle.expect_graph(timeout=15)
        assert net.node("node").peers() == {"node2"}
        net.heal()
        assert net.oracle.expect_recovered(within=15) >= 0
        assert net.oracle.observed_graph().number_of_edges() == 4


def test_capabilities_the_kind_lacks_are_refused(tinypeer_installed):
    with pytest.raises(ScenarioError) as raised:
        parse("name: s\nnodes: 4\nkinds: [tinypeer]\nsteps:\n  - crash: node2\n  - create_streams: {on: node}\n",
              "s.yaml")
    assert "s.yaml:6" in str(raised.value) and "streams" in str(raised.value)
    with pytest.raises(ConfigError, match="no setting"):
        Network(4, backend="local", kind="tinypeer", settings={"cache_limit": 3})


def test_unknown_kinds_and_options_are_errors():
    with pytest.raises(ConfigError, match="unknown node kind 'nope'"):
        Network(4, kind="nope")
    with pytest.raises(ConfigError, match="unknown option"):
        Network(4, backend="local", cache_limt=3)


@pytest.mark.docker
def test_a_kind_without_an_image_says_so_on_docker(tinypeer_installed):
    with pytest.raises(ConfigError, match="has no container image: use the local backend"):
        with Network(4, backend="docker", kind="tinypeer"):
            pass
