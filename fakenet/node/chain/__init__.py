"""The node's proof-of-work chain, a synchronous library the swarm and RPC code call into.

    block.py     building blocks: subsidy, coinbase, per-network genesis, solving
    pow.py       compact bits, targets, work, nonce grinding
    validate.py  the rules, with bitcoin-core's reject reasons
    template.py  getblocktemplate and solving a template
    orphans.py   blocks waiting for their parent
    store.py     SQLite block store
    index.py     BlockIndex and AddResult value types
    chain.py     Chain: index, most-work fork choice, reorgs, locators
"""

from .block import genesis_block
from .chain import Chain
from .index import AddResult, BlockIndex

__all__ = ["AddResult", "BlockIndex", "Chain", "genesis_block"]
