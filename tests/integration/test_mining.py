"""A miner written from bitcoin-core's documentation mines through a partition and a heal.

The miner (tests/support/miner.py) knows nothing of fakenet: getblocktemplate, a BIP34
coinbase, the merkle root, the nonce, submitblock, and long polling between blocks. The same
test runs against a pair of Litecoin Core regtest nodes when `litecoind` is installed (scrypt
proof of work; Litecoin Core serves templates only to a node with a peer, hence a pair).
"""

import threading

import pytest

from fakenet.fidelity import litecoind
from fakenet.harness.waits import wait_for
from support.real_nodes import require_litecoind
from support.miner import Miner

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def partition(nodes, sides):
    for side in sides:
        others = sorted(node.name for node in nodes if node not in side)
        for node in side:
            node.rpc.setlinkfilter(others)


def heal(nodes):
    for node in nodes:
        node.rpc.setlinkfilter([])


def test_miner_through_partition_and_heal_reports_stale_blocks(mesh4):
    node, node2, node3, node4 = mesh4
    miner = Miner(node.rpc.call)
    partition(mesh4, [[node, node2], [node3, node4]])
    mesh4.wait_peers([node, node2, node3, node4], count=1)

    mined = miner.run(3)
    assert [s.result for s in mined] == [None, None, None], "a block on the tip must be accepted (null)"
    mesh4.wait_tip(3, nodes=[node, node2])
    stale_template = miner.template()
    winner = node3.rpc.generatetoaddress(5, ADDRESS)
    mesh4.wait_tip(5, nodes=[node3, node4])

    heal(mesh4)
    assert mesh4.wait_tip(5) == winner[-1], "all four nodes must converge on the heavier side's tip"
    tips = {tip["hash"]: (tip["status"], tip["branchlen"]) for tip in node.rpc.getchaintips()}
    assert tips == {winner[-1]: ("active", 0), mined[-1].block_hash: ("valid-fork", 3)}

    stale = miner.submit(miner.build(stale_template), stale_template["height"])
    assert stale.result == "inconclusive", "a valid block off the best chain is reported stale"
    assert node.rpc.submitblock(node.rpc.getblock(mined[0].block_hash, 0)) == "duplicate"
    assert node.rpc.submitblock(node.rpc.getblock(stale.block_hash, 0)) == "duplicate"
    tips = {tip["hash"]: (tip["status"], tip["branchlen"]) for tip in node.rpc.getchaintips()}
    assert tips[stale.block_hash] == ("valid-headers", 4), "a never-connected block is valid-headers"

def test_long_poll_holds_until_another_node_moves_the_tip(mesh4):
    node, node2 = mesh4[0], mesh4[1]
    miner = Miner(node.rpc.call)
    template = miner.template()
    answer = {}
    poll = threading.Thread(target=lambda: answer.update(miner.template(template["longpollid"])), daemon=True)
    poll.start()
    poll.join(timeout=1.0)  # bounded: the long poll must still be holding after a second
    assert poll.is_alive(), f"long poll returned without a tip change: {answer}"
    assert node.rpc.getblockcount() == 0, "a held long poll must not block the node's other RPCs"
    new_tip = node2.rpc.generatetoaddress(1, ADDRESS)[0]
    wait_for(lambda: answer, lambda a: bool(a), timeout=10, expected="long poll answers after the tip moved")
    assert answer["previousblockhash"] == new_tip and answer["longpollid"] != template["longpollid"]


@pytest.fixture
def litecoin_pair(tmp_path):
    require_litecoind()
    with litecoind.LitecoinNode(tmp_path / "ltc1") as a, litecoind.LitecoinNode(tmp_path / "ltc2", connect=a) as b:
        a.wait_peers(1)
        yield a, b


def test_same_miner_against_litecoin_core(litecoin_pair):
    a, b = litecoin_pair
    a.call("generatetoaddress", 1, litecoind.ADDRESS)  # leave initial block download: a recent tip
    miner = Miner(a.call, pow="scrypt")
    stale_template = miner.template()
    mined = miner.run(3)
    assert [s.result for s in mined] == [None, None, None]
    wait_for(lambda: b.call("getbestblockhash"), lambda h: h == mined[-1].block_hash, timeout=20,
             expected="the peer follows the miner's tip")
    assert miner.submit(miner.build(stale_template), stale_template["height"]).result == "inconclusive"
    assert a.call("submitblock", a.call("getblock", mined[0].block_hash, 0)) == "duplicate"


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.parametrize("kind, pow", [("fakenet", "sha256d"), ("litecoin", "scrypt")])
def test_the_miner_on_a_partitioned_network_of_each_kind(kind, pow):
    """The same miner on 4 containers of either kind: blocks on the lighter side of a partition are
    accepted, lost in the heal (the model predicts the reorg), and a late block is reported stale."""
    from fakenet.harness.network import Network

    with Network(4, backend="docker", kind=kind) as net:
        net.chain.mine("node3", 1)  # Litecoin Core serves templates only once it has a recent tip
        net.oracle.expect_tip(within=30)
        net.partition([["node", "node2"], ["node3", "node4"]])
        net.oracle.expect_graph(timeout=30)
        miner = Miner(net.node("node").rpc().call, pow=pow)
        stale_template = miner.template()
        mined = miner.run(2)
        assert [s.result for s in mined] == [None, None], "a block on the tip must be accepted (null)"
        net.oracle.model.mined("node", [s.block_hash for s in mined])  # the miner's blocks, told to the oracle
        net.chain.mine("node3", 4)
        net.oracle.expect_tip(within=30)
        net.heal()
        net.oracle.expect_recovered(within=60)
        net.oracle.expect_tip(within=30)
        reorgs = net.oracle.expect_reorg(["node", "node2"], within=30)
        assert {name: r.depth for name, r in reorgs.items()} == {"node": 2, "node2": 2}
        stale = miner.submit(miner.build(stale_template), stale_template["height"])
        assert stale.result == "inconclusive", "a valid block off the best chain is reported stale"


def test_mining_on_a_node_behind_a_tie_is_refused_before_a_block_is_mined():
    """The model cannot say which branch a node behind a tie extends: mining there is the scenario's
    error, raised before the block exists (after it, the model never recorded a block the chain has)."""
    from fakenet import Network
    from fakenet.harness.chain_model import AmbiguousChain

    with Network(3, backend="local", seed=8) as net:
        net.isolate("node")
        net.isolate("node2")
        net.chain.mine("node", 1)
        net.chain.mine("node2", 1)
        net.heal()
        net.oracle.expect_converged(timeout=30)
        height = net.runtime("node3").client.tip().height  # asked of the node, not of the model
        with pytest.raises(AmbiguousChain):
            net.chain.mine("node3", 1)
        assert net.runtime("node3").client.tip().height == height
