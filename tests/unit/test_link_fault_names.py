"""A link fault that names a node the network has not (`net.partition([[node, node2], [node3, nodee]])`)
is refused before the link plan changes: it was applied as a rule about nobody, silently, and the node
the typo meant ended up in a group of its own. The scenario loader checked names; the Python API did not."""

import networkx as nx
import pytest

from fakenet.errors import ConfigError
from fakenet.harness import faults


class Target:
    names = ["node", "node2", "node3", "node4"]

    def __init__(self):
        self.synced = 0

    def runtime(self, name):
        if name not in self.names:
            raise ConfigError(f"no node {name!r} in this network (nodes: {', '.join(self.names)})")
        return object()

    def sync_links(self):
        self.synced += 1
        return "test"


@pytest.mark.parametrize("fault", [faults.Partition((("node", "node2"), ("node3", "nodee"))),
                                   faults.Isolate("nodee"), faults.Degrade("node", "nodee", 0.0, 10),
                                   faults.CutLinks(nx.Graph([("node", "nodee")]))])
def test_a_link_fault_naming_no_node_of_the_network_is_refused_before_the_plan_changes(fault):
    target = Target()
    with pytest.raises(ConfigError, match="no node 'nodee' in this network"):
        fault.apply(target)
    assert target.synced == 0


def test_a_partition_with_a_node_in_two_groups_is_refused():
    target = Target()
    with pytest.raises(ConfigError, match="each node in one group only"):
        faults.Partition((("node", "node2"), ("node2", "node3"))).apply(target)
    assert target.synced == 0


def test_link_faults_naming_the_networks_nodes_apply():
    target = Target()
    faults.Partition((("node", "node2"), ("node3", "node4"))).apply(target)
    faults.Degrade("node", "node2", 0.1, 0).apply(target)
    assert target.synced == 2
