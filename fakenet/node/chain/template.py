"""getblocktemplate: the work handed to miners, and turning a template into a solved block.

`Chain.mine` goes through the same template an external miner gets, so the template is
exercised on every block the node mines itself.
"""

from bitcoin.core import CBlock, CTransaction, b2lx, b2x, lx, x

from . import block as blocks
from . import pow

# bitcoin-core's limits, reported so miners size blocks the way they would against core.
SIGOP_LIMIT = 80_000
SIZE_LIMIT = 4_000_000
WEIGHT_LIMIT = 4_000_000


def template(*, prev_hash: str, height: int, bits: int, median_time_past: int, now: float, longpollid: str) -> dict:
    """The fields bitcoin-core's getblocktemplate returns, for a block on top of `prev_hash`."""
    mintime = median_time_past + 1
    return {
        "capabilities": ["proposal"],
        "version": blocks.BLOCK_VERSION,
        # No soft forks are enforced (no segwit: no witness commitment needed).
        "rules": [],
        "vbavailable": {},
        "vbrequired": 0,
        "previousblockhash": prev_hash,
        "transactions": [],
        "coinbaseaux": {},
        "coinbasevalue": blocks.subsidy(height),
        "longpollid": longpollid,
        "target": f"{pow.bits_to_target(bits):064x}",
        "mintime": mintime,
        "mutable": ["time", "transactions", "prevblock"],
        "noncerange": "00000000ffffffff",
        "sigoplimit": SIGOP_LIMIT,
        "sizelimit": SIZE_LIMIT,
        "weightlimit": WEIGHT_LIMIT,
        "curtime": max(int(now), mintime),
        "bits": f"{bits:08x}",
        "height": height,
    }


def coinbasetxn(coinbase: CTransaction) -> dict:
    """BIP22's `coinbasetxn` entry, for a template that comes with its coinbase ready-made."""
    return {"data": b2x(coinbase.serialize()), "txid": b2lx(coinbase.GetTxid()), "depends": [], "fee": 0}


def transaction_entry(tx: CTransaction) -> dict:
    """One entry of the template's `transactions` list (fees are zero: nothing is spent)."""
    return {"data": b2x(tx.serialize()), "txid": b2lx(tx.GetTxid()), "hash": b2lx(tx.GetHash()),
            "depends": [], "fee": 0, "sigops": 0, "weight": 4 * len(tx.serialize())}


def solve(tmpl: dict, coinbase: CTransaction) -> CBlock:
    """Fill the template with `coinbase` and the template's transactions, and grind the nonce."""
    txs = [coinbase, *(CTransaction.deserialize(x(tx["data"])) for tx in tmpl["transactions"])]
    return blocks.solve(lx(tmpl["previousblockhash"]), tmpl["curtime"], int(tmpl["bits"], 16), txs, tmpl["version"])
