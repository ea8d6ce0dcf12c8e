"""Issue 2 acceptance on real node processes over loopback: mesh, propagation, clients, reorg, crash."""

import bitcoin
import bitcoin.rpc
from bitcoin.core import CBlock, CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, CScript, lx
from bitcoinrpc.authproxy import AuthServiceProxy

from support import local_nodes as local
from fakenet.node.chain.pow import bits_to_target

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # BIP173 regtest test vector


def test_full_mesh_reaches_three_peers_and_blocks_reach_every_node(mesh4):
    assert [node.rpc.getconnectioncount() for node in mesh4] == [3, 3, 3, 3]
    hashes = mesh4[0].rpc.generatetoaddress(5, ADDRESS)
    assert mesh4.wait_tip(5) == hashes[-1]
    names = {p["name"] for p in mesh4[1].rpc.getpeerinfo()}
    assert names == {"node", "node3", "node4"}


def _solve_from_template(template: dict) -> CBlock:
    """A miner that is not the node: coinbase, merkle root and nonce from getblocktemplate alone."""
    height = template["height"]
    coinbase = CMutableTransaction(
        [CMutableTxIn(COutPoint(), CScript([height, b"outside-miner"]))],
        [CMutableTxOut(template["coinbasevalue"], CScript([b"\x51"]))])
    block = CBlock(nVersion=template["version"], hashPrevBlock=lx(template["previousblockhash"]),
                   nTime=max(template["curtime"], template["mintime"]), nBits=int(template["bits"], 16),
                   vtx=[coinbase])
    block = CBlock(block.nVersion, block.hashPrevBlock, block.calc_merkle_root(), block.nTime, block.nBits, 0, block.vtx)
    target = bits_to_target(block.nBits)
    nonce = 0
    while int.from_bytes(CBlock(block.nVersion, block.hashPrevBlock, block.hashMerkleRoot, block.nTime,
                                block.nBits, nonce, block.vtx).GetHash(), "little") > target:
        nonce += 1
    return CBlock(block.nVersion, block.hashPrevBlock, block.hashMerkleRoot, block.nTime, block.nBits, nonce, block.vtx)


def test_client_libraries_nobody_here_wrote(mesh4):
    node = mesh4[0]
    user, password = node.credentials
    url = f"http://{user}:{password}@{node.ip}:{local.FakenetKind.ports['rpc']}"
    node.rpc.generatetoaddress(2, ADDRESS)
    bitcoin.SelectParams("regtest")
    proxy = bitcoin.rpc.Proxy(service_url=url)
    assert proxy.getblockcount() == 2
    best = proxy.getbestblockhash()
    assert proxy.getblock(best).GetHash() == best
    authproxy = AuthServiceProxy(url)
    assert authproxy.getblockcount() == 2
    template = authproxy.getblocktemplate({"rules": ["segwit"]})
    block = _solve_from_template(template)
    assert authproxy.submitblock(block.serialize().hex()) is None
    assert mesh4.wait_tip(3) == block.GetHash()[::-1].hex()


def test_two_nodes_mining_apart_reorg_to_the_heavier_chain(tmp_path, start_nodes):
    a, b = local.nodes(tmp_path, {"a": [], "b": []})
    pair = start_nodes([a, b], wait_peers=False)
    light = a.rpc.generatetoaddress(3, ADDRESS)
    heavy = b.rpc.generatetoaddress(5, ADDRESS)
    a.rpc.addnode(b.swarm_addr, "add")
    assert pair.wait_tip(5) == heavy[-1]
    for block_hash in light:
        assert a.rpc.getblockheader(block_hash)["confirmations"] == -1, "light chain's block still on main chain"
    assert a.rpc.getblockhash(3) == heavy[2]


def test_kill9_keeps_the_chain_and_the_node_catches_up(mesh4):
    mesh4[0].rpc.generatetoaddress(3, ADDRESS)
    mesh4.wait_tip(3)
    victim = mesh4[1]
    victim.kill()
    mesh4[0].rpc.generatetoaddress(2, ADDRESS)
    victim.start()
    victim.wait_ready()
    assert victim.rpc.getblockcount() >= 3, "blocks acknowledged before kill -9 were lost"
    mesh4.wait_tip(5)
    mesh4.wait_peers()
