"""The proof-of-work chain: genesis, persistence, fork choice, orphans, validation, templates."""

import itertools
import signal
import subprocess
import sys

import pytest
from bitcoin.core import (
    CBlock,
    CBlockHeader,
    CMutableTransaction,
    COutPoint,
    CScript,
    CTransaction,
    CTxIn,
    CTxOut,
    b2lx,
    lx,
)
from bitcoin.core.script import OP_TRUE

import fakenet.node.chain as chain_pkg
from fakenet.node.errors import NodeConfigError
from fakenet.node.chain import Chain, genesis_block
from fakenet.node.chain.block import GENESIS_TIME, coinbase_tx, solve, subsidy
from fakenet.node.chain.headers import HeaderTree
from fakenet.node.chain.index import BlockIndex
from fakenet.node.chain.orphans import OrphanPool
from fakenet.node.chain.pow import REGTEST_BITS, bits_to_target, block_work, meets_target

PAY = bytes(CScript([OP_TRUE]))


@pytest.fixture
def chain(tmp_path):
    with Chain(tmp_path / "chain.sqlite", "testnet") as chain:
        yield chain


def mine(chain: Chain, n: int) -> list[str]:
    return [chain.add_block(chain.mine(PAY)).block_hash for _ in range(n)]


def reheader(raw: bytes, grind: bool = True, **fields) -> bytes:
    """`raw` with some header fields changed and (unless told not to) a nonce that solves it."""
    old = CBlockHeader.deserialize(raw[:80])
    values = {k: getattr(old, k) for k in ("nVersion", "hashPrevBlock", "hashMerkleRoot", "nTime", "nBits", "nNonce")}
    header = CBlockHeader(**{**values, **fields})
    while grind and not meets_target(header):
        header = CBlockHeader(**{**values, **fields, "nNonce": header.nNonce + 1})
    return header.serialize() + raw[80:]


def test_public_api_is_pinned():
    assert sorted(chain_pkg.__all__) == ["AddResult", "BlockIndex", "Chain", "genesis_block"]


def test_genesis_is_fixed_per_network(tmp_path):
    assert genesis_block("alpha").serialize() == genesis_block("alpha").serialize()
    with Chain(tmp_path / "a1", "alpha") as a1, Chain(tmp_path / "a2", "alpha") as a2, Chain(tmp_path / "b", "beta") as b:
        assert a1.genesis_hash == a2.genesis_hash == b2lx(genesis_block("alpha").GetHash())
        assert b.genesis_hash != a1.genesis_hash
        assert a1.height() == 0 and a1.tip().hash == a1.hash_at(0) == a1.genesis_hash
        assert a1.get_block(a1.genesis_hash).GetHash() == genesis_block("alpha").GetHash()
        assert a1.add_block(genesis_block("alpha").serialize()).status == "duplicate"
        assert b.add_block(a1.mine(PAY)).reason == "prev-blk-not-found"


def test_mined_blocks_persist_across_reopen(tmp_path):
    path = tmp_path / "chain.sqlite"
    with Chain(path, "testnet") as chain:
        hashes = mine(chain, 5)
        assert chain.height() == 5 and chain.tip().hash == hashes[-1]
        assert chain.chainwork() == 6 * block_work(REGTEST_BITS)
    with Chain(path, "testnet") as again:
        assert again.height() == 5
        assert [again.hash_at(h) for h in range(1, 6)] == hashes
        assert again.get_index(hashes[2]).height == 3 and again.get_raw_block(hashes[4]) is not None
        assert again.tip().chainwork == again.chainwork(hashes[-1])
        mine(again, 1)
    with pytest.raises(NodeConfigError, match="not 'othernet'"):
        Chain(path, "othernet")


KILLED_WRITER = """
import os, signal, sys
from fakenet.node.chain import Chain
chain = Chain(sys.argv[1], "testnet")
for _ in range(3):
    chain.add_block(chain.mine(bytes([0x51])))
print(chain.tip().hash, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no clean shutdown
"""


def test_tip_survives_kill_9(tmp_path):
    path = tmp_path / "chain.sqlite"
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Chain(path, "testnet") as chain:
        assert (chain.height(), chain.tip().hash) == (3, proc.stdout.strip())


def test_mined_blocks_differ_between_nodes(tmp_path):
    with Chain(tmp_path / "a", "n") as a, Chain(tmp_path / "b", "n") as b:
        assert a.mine(PAY) != b.mine(PAY)
        block = CBlock.deserialize(a.mine(PAY, extra=b"anchor"))
        assert block.vtx[0].vin[0].scriptSig.startswith(bytes(CScript([1])))
        assert b"anchor" in block.vtx[0].vin[0].scriptSig


def test_heavier_chain_wins_and_reorg_is_reported(tmp_path):
    with Chain(tmp_path / "a", "n") as a, Chain(tmp_path / "b", "n") as b:
        a_blocks, b_blocks = mine(a, 3), mine(b, 5)
        events = []
        a.on_tip_changed.append(lambda gone, new: events.append(([e.hash for e in gone], [e.hash for e in new])))
        results = [a.add_block(raw) for raw in b.blocks_after(a.locator())]
        assert [r.status for r in results] == ["accepted"] * 5
        assert [r.became_tip for r in results] == [False, False, False, True, True]
        assert results[0].reason == "inconclusive"  # a side chain with less work, for now
        assert events[0] == (a_blocks[::-1], b_blocks[:4])
        assert events[1] == ([], [b_blocks[4]])
        back = [b.add_block(raw) for raw in a.blocks_after(b.locator())]
        assert back == []  # a's main chain is now b's: nothing after b's tip
        for h in a_blocks:  # b can still learn a's stale branch; it stays a side chain
            assert b.add_block(a.get_raw_block(h)).became_tip is False
        assert a.tip() == b.tip() and a.height() == 5
        assert not a.in_main_chain(a_blocks[0]) and a.get_index(a_blocks[0]) is not None


def test_equal_work_keeps_first_seen_tip(tmp_path):
    with Chain(tmp_path / "a", "n") as a, Chain(tmp_path / "b", "n") as b:
        a_tip, b_tip = mine(a, 2)[-1], mine(b, 2)[-1]
        for raw in b.blocks_after([a.genesis_hash]):
            assert a.add_block(raw).became_tip is False
        assert a.tip().hash == a_tip and a.chainwork(b_tip) == a.chainwork()


def test_listener_failure_does_not_reject_block(chain):
    chain.on_tip_changed.append(lambda gone, new: 1 / 0)
    assert chain.add_block(chain.mine(PAY)).became_tip and chain.height() == 1


def test_orphans_connect_when_parent_arrives(tmp_path):
    with Chain(tmp_path / "a", "n") as a, Chain(tmp_path / "b", "n") as b:
        hashes = mine(a, 3)
        raws = [a.get_raw_block(h) for h in hashes]
        assert b.add_block(raws[2]).status == "orphan"
        result = b.add_block(raws[1])
        assert (result.status, result.reason, result.block_hash) == ("orphan", "prev-blk-not-found", hashes[1])
        assert b.height() == 0 and b.orphan_count == 2
        result = b.add_block(raws[0])
        assert result.became_tip and result.orphans_connected == (hashes[1], hashes[2])
        assert b.tip().hash == hashes[2] and b.orphan_count == 0


def test_orphan_pool_is_bounded():
    pool = OrphanPool(limit=2)
    for name in "abc":
        pool.add(name, "parent", None, b"")
    assert len(pool) == 2 and "a" not in pool
    assert len(pool.pop_children("parent")) == 2 and len(pool) == 0


def bad_blocks(chain: Chain) -> dict[str, bytes]:
    """One block per rule, each on top of genesis and broken only in that rule."""
    good = chain.mine(PAY)
    prev, now = lx(chain.genesis_hash), chain.block_template()["curtime"]
    high = CBlockHeader.deserialize(good[:80])
    for nonce in itertools.count(high.nNonce + 1):
        high = CBlockHeader.deserialize(good[:76] + nonce.to_bytes(4, "little"))
        if not meets_target(high):
            break
    spend = CTransaction([CTxIn(COutPoint(b"\x01" * 32, 0))], [CTxOut(1, CScript(PAY))])
    return {
        "bad-blk-length": b"\x00garbage" * 20,
        "high-hash": high.serialize() + good[80:],
        "bad-txnmrklroot": reheader(good, hashMerkleRoot=b"\x11" * 32),
        # Solved at its own (harder) bits: bitcoin-core checks the work before the bits.
        "bad-diffbits": reheader(good, nBits=0x2000FFFF),
        "time-too-new": reheader(good, nTime=now + 3 * 3600),
        "time-too-old": reheader(good, nTime=GENESIS_TIME),
        "bad-cb-missing": solve(prev, now, REGTEST_BITS, [spend]).serialize(),
        "bad-cb-height": solve(prev, now, REGTEST_BITS, [coinbase_tx(7, PAY, subsidy(1), b"x")]).serialize(),
        "bad-cb-amount": solve(prev, now, REGTEST_BITS, [coinbase_tx(1, PAY, subsidy(1) + 1, b"x")]).serialize(),
    }


def test_invalid_blocks_rejected_with_core_reasons(chain):
    for reason, raw in bad_blocks(chain).items():
        result = chain.add_block(raw)
        assert (result.status, result.reason) == ("invalid", reason), reason
    for junk in (b"", b"\x01", bytes(79), bytes(range(256)) * 3, bytes(4_000_001)):
        assert chain.add_block(junk).reason == "bad-blk-length"
    assert chain.add_block(bytes(81)).status == "invalid"  # decodes: a zero header, no transactions
    assert chain.height() == 0


def test_a_block_is_parsed_once_per_distinct_bytes_and_a_rejection_is_never_remembered(chain, monkeypatch):
    """Every node of a simulation meets the same blocks, and anchoring re-reads them (validate.PARSED):
    the same bytes are parsed and checked once; a broken block is refused again each time."""
    from fakenet.node.chain import validate

    validate._parsed.cache_clear()
    validate._checked.cache_clear()
    parses, parse = [], validate.CBlock.deserialize
    monkeypatch.setattr(validate.CBlock, "deserialize", lambda raw: parses.append(raw) or parse(raw))
    raw = chain.mine(PAY)
    assert validate.check_block(raw) is validate.check_block(bytearray(raw)) is chain.get_block(
        chain.add_block(raw).block_hash)
    assert len(parses) == 1
    broken = bad_blocks(chain)["bad-txnmrklroot"]
    for _ in range(2):
        with pytest.raises(validate.BlockRejected, match="bad-txnmrklroot"):
            validate.check_block(broken)
    assert chain.add_block(broken).reason == "bad-txnmrklroot"


def test_block_template_fields(chain):
    mine(chain, 2)
    t = chain.block_template()
    required = "version previousblockhash transactions coinbasevalue target mintime mutable noncerange curtime bits "
    required += "height longpollid rules capabilities coinbaseaux sizelimit weightlimit sigoplimit"
    assert set(required.split()) <= set(t)
    assert (t["previousblockhash"], t["height"], t["transactions"]) == (chain.tip().hash, 3, [])
    assert (t["bits"], t["coinbasevalue"]) == ("207fffff", 50 * 10**8)
    assert int(t["target"], 16) == bits_to_target(REGTEST_BITS) and len(t["target"]) == 64
    assert t["mintime"] == chain.median_time_past() + 1 <= t["curtime"]
    assert t["noncerange"] == "00000000ffffffff" and "time" in t["mutable"]
    mine(chain, 1)
    assert chain.block_template()["longpollid"] != t["longpollid"]
    assert CTransaction.deserialize(bytes.fromhex(chain.block_template(PAY)["coinbasetxn"]["data"])).is_coinbase()
    assert (subsidy(149), subsidy(150), subsidy(300)) == (50 * 10**8, 25 * 10**8, 1_250_000_000)
    assert chain.difficulty() == pytest.approx(4.656542373906925e-10)


def test_externally_solved_block_is_accepted(chain):
    t = chain.block_template()
    coinbase = CMutableTransaction(
        [CTxIn(COutPoint(), CScript([t["height"], b"external miner"]))], [CTxOut(t["coinbasevalue"], CScript(PAY))]
    )
    merkle = CBlock.build_merkle_tree_from_txs([coinbase])[-1]
    for nonce in itertools.count():
        header = CBlockHeader(t["version"], lx(t["previousblockhash"]), merkle, t["curtime"], int(t["bits"], 16), nonce)
        if int.from_bytes(header.GetHash(), "little") <= int(t["target"], 16):
            break
    raw = header.serialize() + CBlock(vtx=[coinbase]).serialize()[80:]
    result = chain.add_block(raw)
    assert (result.status, result.reason, result.became_tip) == ("accepted", None, True)
    assert chain.tip().hash == b2lx(header.GetHash()) and chain.get_raw_block(result.block_hash) == raw


def test_locator_and_blocks_after(chain):
    hashes = mine(chain, 30)
    loc = chain.locator()
    assert loc[:10] == hashes[::-1][:10] and loc[-1] == chain.genesis_hash
    assert [chain.get_index(h).height for h in loc[9:]] == [21, 19, 15, 7, 0]
    assert chain.blocks_after(["00" * 32]) == [chain.get_raw_block(h) for h in hashes]
    assert chain.blocks_after([hashes[3], "00" * 32, hashes[27]], limit=1) == [chain.get_raw_block(hashes[28])]
    assert chain.blocks_after([hashes[-1]]) == []


def side_block(chain: Chain, parent: str, height: int, tag: bytes = b"side") -> bytes:
    """A valid block on `parent` that is not the node's own template (another miner's)."""
    now = chain.block_template()["curtime"]
    return solve(lx(parent), now, REGTEST_BITS, [coinbase_tx(height, PAY, subsidy(height), tag)]).serialize()


def tip_statuses(chain: Chain) -> dict[str, tuple[str, int]]:
    return {tip["hash"]: (tip["status"], tip["branchlen"]) for tip in chain.chain_tips()}


def test_side_branch_is_inconclusive_and_listed_as_valid_headers(chain):
    hashes = mine(chain, 2)
    result = chain.add_block(side_block(chain, hashes[0], 2))
    assert (result.status, result.reason, result.became_tip) == ("accepted", "inconclusive", False)
    assert tip_statuses(chain) == {hashes[1]: ("active", 0), result.block_hash: ("valid-headers", 1)}
    assert chain.add_block(side_block(chain, hashes[0], 2, b"other")).reason == "inconclusive"
    assert chain.add_block(chain.get_raw_block(result.block_hash)).reason == "duplicate"


def test_invalidate_and_reconsider_make_a_valid_fork(chain):
    old = mine(chain, 3)
    chain.invalidate(old[2])
    assert chain.tip().hash == old[1]
    assert tip_statuses(chain)[old[2]] == ("invalid", 1)
    assert chain.add_block(chain.get_raw_block(old[2])).reason == "duplicate-invalid"
    new = mine(chain, 2)
    chain.reconsider(old[2])
    assert chain.tip().hash == new[-1], "reconsidering a lighter branch must not move the tip"
    assert tip_statuses(chain) == {new[-1]: ("active", 0), old[2]: ("valid-fork", 1)}


def test_invalidating_a_side_branch_keeps_the_tip_and_children_are_bad_prevblk(chain):
    hashes = mine(chain, 2)
    side = chain.add_block(side_block(chain, hashes[0], 2)).block_hash
    chain.invalidate(side)
    assert chain.tip().hash == hashes[1]
    assert chain.add_block(side_block(chain, side, 3)).reason == "bad-prevblk"


def test_contextually_invalid_block_is_remembered_as_invalid(chain):
    tip = mine(chain, 1)[0]
    raw = side_block(chain, tip, 7)  # BIP34 height says 7 at height 2
    result = chain.add_block(raw)
    assert (result.status, result.reason) == ("invalid", "bad-cb-height")
    assert tip_statuses(chain)[result.block_hash] == ("invalid", 1)
    assert chain.add_block(raw).reason == "duplicate-invalid"


def test_statuses_survive_reopening(tmp_path):
    with Chain(tmp_path / "c", "testnet") as chain:
        old = mine(chain, 2)
        chain.invalidate(old[1])
        mine(chain, 2)
        chain.reconsider(old[1])
        before = chain.chain_tips()
    with Chain(tmp_path / "c", "testnet") as chain:
        assert chain.chain_tips() == before


def test_proposals_as_bitcoin_core_answers_them(chain):
    hashes = mine(chain, 2)
    assert chain.check_proposal(side_block(chain, hashes[1], 3)) is None
    assert chain.check_proposal(side_block(chain, hashes[0], 2)) == "inconclusive-not-best-prevblk"
    assert chain.check_proposal(side_block(chain, hashes[1], 9)) == "bad-cb-height"
    assert chain.check_proposal(chain.get_raw_block(hashes[1])) == "duplicate"
    side = chain.add_block(side_block(chain, hashes[0], 2)).block_hash
    assert chain.check_proposal(chain.get_raw_block(side)) == "duplicate-inconclusive"
    assert chain.height() == 2


# -- headers without their blocks (submitheader) --------------------------------------------------

def test_a_header_on_the_tip_is_a_headers_only_tip_until_its_block_connects(chain):
    tip = mine(chain, 2)[-1]
    block = chain.mine(PAY)
    result = chain.add_header(block[:80])
    assert (result.status, result.reason) == ("accepted", None)
    assert tip_statuses(chain) == {tip: ("active", 0), result.block_hash: ("headers-only", 1)}
    assert chain.tip().hash == tip, "a header without its block never becomes the tip"
    assert chain.add_header(block[:80]).status == "duplicate", "a second copy is a no-op"
    assert chain.add_block(block).became_tip
    assert tip_statuses(chain) == {result.block_hash: ("active", 0)}


def test_a_side_block_whose_header_came_first_is_listed_once_with_its_block_status(chain):
    base = mine(chain, 2)
    side = side_block(chain, base[0], 2)
    side_hash = chain.add_header(side[:80]).block_hash
    assert chain.add_block(side).reason == "inconclusive"
    assert [(t["hash"], t["status"]) for t in chain.chain_tips()] == [(base[1], "active"), (side_hash, "valid-headers")]


def test_headers_chain_on_each_other_and_count_in_the_branch_length(chain):
    base = mine(chain, 2)
    first = side_block(chain, base[0], 2, b"a")
    first_hash = chain.add_header(first[:80]).block_hash
    second = side_block(chain, first_hash, 3, b"b")
    second_hash = chain.add_header(second[:80]).block_hash
    assert tip_statuses(chain) == {base[1]: ("active", 0), second_hash: ("headers-only", 2)}
    assert chain.add_block(first).reason == "inconclusive", "a side block whose header came first"
    assert tip_statuses(chain) == {base[1]: ("active", 0), second_hash: ("headers-only", 2)}
    assert [t["hash"] for t in chain.chain_tips()].count(second_hash) == 1
    assert chain.add_block(second).became_tip, "more work than the tip once its block is in"
    assert sorted((t["hash"], t["status"]) for t in chain.chain_tips()) == sorted(
        [(second_hash, "active"), (base[1], "valid-fork")]), "each block listed once, none headers-only"


def test_headers_are_checked_as_bitcoin_core_checks_them(chain):
    tip = mine(chain, 1)[-1]
    block = chain.mine(PAY)
    unsolved = next(header for n in range(1000) if not meets_target(
        CBlockHeader.deserialize(header := reheader(block, grind=False, nNonce=n)[:80])))
    assert (chain.add_header(unsolved).status, chain.add_header(unsolved).reason) == ("invalid", "high-hash")
    assert chain.add_header(reheader(block, hashPrevBlock=b"\x11" * 32)[:80]).status == "orphan"
    assert chain.add_header(reheader(block, nBits=0x2000FFFF)[:80]).reason == "bad-diffbits"
    assert chain.add_header(reheader(block, nTime=1)[:80]).reason == "time-too-old"
    assert chain.add_header(reheader(block, nTime=2**32 - 1)[:80]).reason == "time-too-new"
    assert chain.add_header(reheader(block, nVersion=4)[:80]).reason == "bad-version(0x00000004)"
    assert chain.add_header(reheader(block, nVersion=-1)[:80]).reason == "bad-version(0xffffffff)"
    assert chain.add_block(reheader(block, nVersion=1)).reason == "bad-version(0x00000001)", "blocks too"
    chain.invalidate(tip)
    assert chain.add_header(block[:80]).reason == "bad-prevblk"
    assert chain.knows(tip) and not chain.knows("11" * 32)


def test_the_header_tree_is_bounded_and_forgets_a_header_with_what_was_built_on_it():
    tree = HeaderTree(limit=3)
    entry = lambda h, prev: BlockIndex(h, prev, 1, 0, 0, 0, 0, "", 0, 0, 0)  # noqa: E731
    for h, prev in (("a", "g"), ("b", "a"), ("x", "g"), ("c", "b")):
        tree.add(entry(h, prev))
    assert [e.hash for e in tree.values()] == ["x"], "a went first, and b and c hung from it"


def test_a_header_entry_is_found_by_lookup_but_is_no_stored_block_and_counts_as_the_best_header(chain):
    tip = mine(chain, 1)[-1]
    block = chain.mine(PAY)
    block_hash = chain.add_header(block[:80]).block_hash
    entry = chain.lookup(block_hash)
    assert (entry.height, entry.n_tx, entry.header()) == (2, 0, block[:80]), "the header bytes rebuilt"
    assert chain.get_index(block_hash) is None and chain.get_raw_block(block_hash) is None
    assert (chain.height(), chain.tip().hash, chain.best_header().hash) == (1, tip, block_hash)
    assert chain.lookup(tip).header() == chain.get_raw_block(tip)[:80]


def test_a_block_on_a_headers_only_parent_is_inconclusive_and_connects_when_the_parent_arrives(chain):
    base = mine(chain, 1)
    parent = side_block(chain, base[0], 2, b"p")
    parent_hash = chain.add_header(parent[:80]).block_hash
    child = side_block(chain, parent_hash, 3, b"c")
    result = chain.add_block(child)
    assert (result.status, result.reason) == ("orphan", "inconclusive"), "core stores it: not prev-blk-not-found"
    assert chain.add_block(child).reason == "duplicate"
    assert tip_statuses(chain) == {base[0]: ("active", 0), result.block_hash: ("headers-only", 2)}
    assert chain.get_waiting_block(result.block_hash) == child and chain.height() == 1
    arrived = chain.add_block(parent)
    assert arrived.became_tip and arrived.orphans_connected == (result.block_hash,)
    assert (chain.height(), chain.tip().hash) == (3, result.block_hash)
    assert chain.get_waiting_block(result.block_hash) is None


def test_a_broken_block_on_a_headers_only_parent_is_remembered_as_invalid(chain):
    base = mine(chain, 1)
    parent_hash = chain.add_header(side_block(chain, base[0], 2, b"p")[:80]).block_hash
    now = chain.block_template()["curtime"]
    bad = solve(lx(parent_hash), now, REGTEST_BITS, [coinbase_tx(9, PAY, subsidy(3), b"x")]).serialize()
    result = chain.add_block(bad)
    assert (result.status, result.reason) == ("invalid", "bad-cb-height")
    assert chain.add_block(bad).reason == "duplicate-invalid"
    assert chain.add_header(bad[:80]).reason == "duplicate"
    assert tip_statuses(chain)[result.block_hash] == ("invalid", 2)
    child = solve(lx(result.block_hash), now, REGTEST_BITS, [coinbase_tx(4, PAY, subsidy(4), b"y")]).serialize()
    assert chain.add_header(child[:80]).reason == "bad-prevblk"


def test_a_forgotten_header_takes_its_failure_mark_with_it():
    tree = HeaderTree(limit=1)
    entry = lambda h, prev: BlockIndex(h, prev, 1, 0, 0, 0, 0, "", 0, 0, 0)  # noqa: E731
    tree.add(entry("a", "g"))
    tree.mark_failed("a")
    tree.mark_failed("unknown")
    assert tree.failed("a") and not tree.failed("unknown")
    tree.add(entry("b", "g"))
    assert not tree.failed("a") and len(tree) == 1
