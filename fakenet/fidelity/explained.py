"""Why fakenet differs from Litecoin Core where it does on purpose: case name → (pattern, reason).

A difference counts as explained when its text contains a listed pattern ("*" matches any
case). Everything not listed here is a bug in the node (or a row for this table).
"""

from __future__ import annotations

FAKENET_EXTRA = ("fakenet's own fields (PeerID, node name, announce address, network name, swarm key, "
                 "streams) beside bitcoin-core's: the harness and users identify peers by them")
# Not a structural difference the comparison sees (both nodes are listening when it runs), so said here.
NETWORK_ACTIVE = ("; `networkactive` is false for the moments between RPC answering and the swarm "
                  "listening (Core's only after `setnetworkactive false`), so a client can wait for it")
NO_SEGWIT = ("fakenet's chain enforces no soft forks but BIP34 (no segwit, csv, taproot): no witness data, "
             "no witness commitment, so templates name no rules and miners skip the segwit path")
MWEB = "Litecoin's MimbleWimble extension blocks (MWEB) have no counterpart in bitcoin-core or fakenet"
NO_UTXO = ("fakenet's chain keeps no UTXO set (it carries stream anchors, not payments): inputs are "
           "checked for shape only, so a spend of a missing output is accepted")

EXPLAINED: dict[str, list[tuple[str, str]]] = {
    "*": [("ismweb", MWEB), ("mweb", MWEB)],
    "getblockchaininfo": [(".network: only in fakenet", FAKENET_EXTRA),
                          (".softforks.", "only the soft forks fakenet's chain enforces are listed (BIP34, "
                                          "from height 1); Litecoin Core lists its whole deployment table")],
    "getnetworkinfo": [(": only in fakenet", FAKENET_EXTRA + NETWORK_ACTIVE)],
    "getpeerinfo": [(": only in fakenet", FAKENET_EXTRA),
                    ("_per_msg.", "fakenet's swarm speaks its own messages (tip, getblocks, blocks, block, "
                                  "stream queries), not bitcoin's version/inv/headers, and counts bytes per "
                                  "connection only: the per-message maps are empty")],
    "cli -getinfo": [(": only in fakenet", FAKENET_EXTRA)],
    "getblock verbosity 2": [("txinwitness", NO_SEGWIT)],
    "getblocktemplate fields": [("default_witness_commitment", NO_SEGWIT), (".rules", NO_SEGWIT)],
    "getblocktemplate rules and capabilities": [("'rules'", NO_SEGWIT)],
    "unknown method, JSON-RPC 2.0": [("http: fakenet 200", "fakenet answers JSON-RPC 2.0 requests as bitcoin-core "
                                                          "28+ does (HTTP 200, 2.0 envelope); Litecoin Core "
                                                          "0.21 predates JSON-RPC 2.0 support")],
    "spends an output that does not exist": [("result: fakenet None", NO_UTXO)],
}


NO_MEMPOOL = ("fakenet's chain has no mempool or transaction relay (blocks carry stream anchors, mined by the "
              "node or an external miner): mempool, raw-transaction and fee calls have nothing to answer")
NO_WALLET = "fakenet has no wallet; Litecoin Core here runs with -disablewallet"
# Calls Litecoin Core lists that no case compares: why fakenet answers differently or not at all.
NOT_COMPARED_WHY: dict[str, str] = {
    "getblocktemplate": ("measured with Debian's litecoind 0.21.2.1 on regtest: -9 'Litecoin Core is not connected!' "
                         "with no peers and -10 '… is in initial sync and waiting for blocks…' at height 0 with a "
                         "peer; fakenet serves a template in both, as bitcoin-core 0.21 does on its test chains, so "
                         "one node and an external miner can start from genesis (the harness and miner tests do)"),
    "setban": ("bans match the socket address as Core's do; a banned peer is dropped right after its handshake "
               "(Core refuses it at accept), and bans live in memory (Core keeps banlist.dat across restarts)"),
    "submitheader": ("headers-only entries live in memory, at most 10,000 (the oldest forgotten first, with the "
                     "headers built on it), and a restart forgets them; Core keeps them in its block index on disk. "
                     "A block whose parent is headers-only waits in memory (the orphan pool, at most 1,000) where "
                     "Core writes it to disk; the answers (inconclusive, duplicate, getblock) are Core's"),
    **dict.fromkeys(["getmempoolancestors", "getmempooldescendants", "getmempoolentry", "getmempoolinfo",
                     "getrawmempool", "savemempool", "sendrawtransaction", "testmempoolaccept", "estimatesmartfee",
                     "prioritisetransaction", "getrawtransaction", "createrawtransaction", "decoderawtransaction",
                     "combinerawtransaction", "signrawtransactionwithkey", "fundrawtransaction", "createpsbt",
                     "decodepsbt", "combinepsbt", "finalizepsbt", "converttopsbt", "utxoupdatepsbt", "joinpsbts",
                     "analyzepsbt", "gettxout", "gettxoutproof", "verifytxoutproof", "gettxoutsetinfo",
                     "scantxoutset"], NO_MEMPOOL),
}


def explain(case: str, difference: str) -> str | None:
    for name in (case, "*"):
        for pattern, reason in EXPLAINED.get(name, ()):
            if pattern in difference:
                return reason
    return None
