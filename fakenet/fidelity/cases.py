"""The calls sent to both systems, in order (later cases build on the chain earlier ones made).

A case gets the target (a pair of connected nodes of one kind) and a scratch dict of its own,
and returns an observation; `compare` says which parts of the two observations must agree.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from fakenet.fidelity import blocks
from fakenet.fidelity.probes import CODE, ERROR, FACTS, STRUCTURE, VALUE, Compare, call, exchange
from fakenet.fidelity.targets import Target

RULES = {"rules": ["segwit", "mweb"]}  # Litecoin Core insists on both; bitcoin-core on segwit
BIP34_HEIGHT = 500  # Litecoin Core's regtest enforces the coinbase height from here on
LONG_POLL_HOLD = 1.0  # how long a long poll must at least hold to count as holding


@dataclass(frozen=True)
class Case:
    section: str
    name: str
    run: Callable[[Target, dict], dict]
    compare: Compare


CASES: list[Case] = []


def case(section: str, name: str, compare: Compare = STRUCTURE):
    def register(run):
        CASES.append(Case(section, name, run, compare))
        return run
    return register


def template(t: Target) -> dict:
    return t.a.call("getblocktemplate", RULES)


def submit(t: Target, block: blocks.Crafted) -> dict:
    return call(t.a, "submitblock", block.hex())


def crafted(t: Target, **changes):
    return blocks.build(blocks.Recipe.of(template(t), **changes), t.pow)


# -- chain queries -------------------------------------------------------------------------

@case("chain", "getblockchaininfo")
def _(t, s):
    t.a.call("generatetoaddress", BIP34_HEIGHT, t.address)  # past BIP34 on both, out of IBD
    t.wait_synced()
    return call(t.a, "getblockchaininfo")


case("chain", "getblockcount")(lambda t, s: call(t.a, "getblockcount"))
case("chain", "getbestblockhash")(lambda t, s: call(t.a, "getbestblockhash"))
case("chain", "getblockhash 1")(lambda t, s: call(t.a, "getblockhash", 1))
case("chain", "getblockhash out of range", ERROR)(lambda t, s: call(t.a, "getblockhash", 10**6))


def _best(t):
    return t.a.call("getbestblockhash")


case("chain", "getblockheader (verbose)")(lambda t, s: call(t.a, "getblockheader", _best(t)))


@case("chain", "getblockheader (verbose=false: 80-byte hex)", FACTS)
def _(t, s):
    raw = t.a.call("getblockheader", _best(t), False)
    return {"facts": {"hex_digits": len(raw)}}


case("chain", "getblockheader unknown hash", ERROR)(lambda t, s: call(t.a, "getblockheader", "00" * 32))
case("chain", "getblockheader short hash", ERROR)(lambda t, s: call(t.a, "getblockheader", "00"))


@case("chain", "getblock verbosity 0 (hex, header first)", FACTS)
def _(t, s):
    best = _best(t)
    raw, header = t.a.call("getblock", best, 0), t.a.call("getblockheader", best, False)
    return {"facts": {"string": isinstance(raw, str), "starts_with_header": raw.startswith(header)}}


case("chain", "getblock verbosity 1")(lambda t, s: call(t.a, "getblock", _best(t), 1))
case("chain", "getblock verbosity 2")(lambda t, s: call(t.a, "getblock", _best(t), 2))
case("chain", "getblock verbose=true (boolean)")(lambda t, s: call(t.a, "getblock", _best(t), True))
case("chain", "getdifficulty")(lambda t, s: call(t.a, "getdifficulty"))
case("network", "getpeerinfo")(lambda t, s: call(t.a, "getpeerinfo"))
case("network", "getnetworkinfo")(lambda t, s: call(t.a, "getnetworkinfo"))
case("network", "cli -getinfo")(lambda t, s: {"result": t.cli_getinfo()})
case("network", "ping")(lambda t, s: call(t.a, "ping"))
case("network", "getnettotals")(lambda t, s: call(t.a, "getnettotals"))


@case("network", "addnode HOST:PORT, twice", ERROR)
def _(t, s):
    peer = "127.0.0.1:9"  # nothing listens there: the call only records it
    first = call(t.a, "addnode", peer, "add")
    again = call(t.a, "addnode", peer, "add")
    call(t.a, "addnode", peer, "remove")
    return again if first["code"] is None else first


@case("network", "listbanned (after setban)")
def _(t, s):
    call(t.a, "setban", "192.0.2.0/24", "add")  # TEST-NET-1: no peer of either pair lives there
    return call(t.a, "listbanned")


case("network", "setban the same subnet again", ERROR)(lambda t, s: call(t.a, "setban", "192.0.2.0/24", "add"))
case("network", "setban remove a subnet never banned", ERROR)(
    lambda t, s: call(t.a, "setban", "198.51.100.7", "remove"))
case("network", "setban not an address", ERROR)(lambda t, s: call(t.a, "setban", "not-an-ip", "add"))
case("network", "setban with a bantime past 64 bits", ERROR)(
    lambda t, s: call(t.a, "setban", "198.51.100.0/24", "add", 2**63))


@case("network", "setban with a negative bantime: the default ban, from now", VALUE)
def _(t, s):
    call(t.a, "setban", "203.0.113.0/24", "add", -5, True)  # TEST-NET-3
    (ban,) = [b for b in call(t.a, "listbanned")["result"] if b["address"] == "203.0.113.0/24"]
    call(t.a, "setban", "203.0.113.0/24", "remove")
    return {"result": ban["banned_until"] - ban["ban_created"]}


@case("network", "setban with a null bantime and absolute 1: the default ban, from now", VALUE)
def _(t, s):
    call(t.a, "setban", "203.0.113.0/24", "add", None, 1)
    (ban,) = [b for b in call(t.a, "listbanned")["result"] if b["address"] == "203.0.113.0/24"]
    call(t.a, "setban", "203.0.113.0/24", "remove")
    return {"result": ban["banned_until"] - ban["ban_created"]}


case("network", "setban of a banned subnet with a bad bantime: already banned first", ERROR)(
    lambda t, s: call(t.a, "setban", "192.0.2.0/24", "add", "soon"))
case("network", "clearbanned")(lambda t, s: call(t.a, "clearbanned"))


case("util", "validateaddress (own regtest address)")(lambda t, s: call(t.a, "validateaddress", t.address))
case("util", "validateaddress (not an address)", VALUE)(lambda t, s: call(t.a, "validateaddress", "nope"))


@case("control", "help (grouped as bitcoin-cli prints it)", FACTS)
def _(t, s):
    text = t.a.call("help")
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    return {"facts": {"first_line": text.splitlines()[0], "headings_sorted": headings == sorted(headings),
                      "blank_line_before_each_heading": text.count("\n\n==") == len(headings) - 1}}


@case("control", "cli with an unknown method", FACTS)
def _(t, s):
    done = t.cli_run("nosuchmethod")
    return {"facts": {"exit_code": done.returncode, "stderr": done.stderr.strip(), "stdout": done.stdout}}

# -- mining --------------------------------------------------------------------------------

case("mining", "generatetoaddress")(lambda t, s: call(t.a, "generatetoaddress", 1, t.address))
case("mining", "generatetoaddress invalid address", ERROR)(
    lambda t, s: call(t.a, "generatetoaddress", 1, "not-an-address"))
case("mining", "getmininginfo")(lambda t, s: call(t.a, "getmininginfo"))
case("mining", "getblocktemplate fields")(lambda t, s: call(t.a, "getblocktemplate", RULES))


@case("mining", "getblocktemplate rules and capabilities", FACTS)
def _(t, s):
    tmpl = template(t)
    return {"facts": {"rules": sorted(tmpl["rules"]), "capabilities": tmpl["capabilities"],
                      "mutable": tmpl["mutable"]}}


@case("mining", "getblocktemplate longpollid", FACTS)
def _(t, s):
    tmpl = template(t)
    lpid = tmpl["longpollid"]
    return {"facts": {"starts_with_previousblockhash": lpid.startswith(tmpl["previousblockhash"]),
                      "longer_than_hash": len(lpid) > 64}}


case("mining", "getblocktemplate without the segwit rule", CODE)(
    lambda t, s: call(t.a, "getblocktemplate", {"rules": []}))
case("mining", "getblocktemplate invalid mode", ERROR)(
    lambda t, s: call(t.a, "getblocktemplate", {"mode": "bogus", **RULES}))
case("mining", "getblocktemplate non-object request", ERROR)(lambda t, s: call(t.a, "getblocktemplate", "x"))


def _long_poll(t: Target, longpollid: str) -> tuple[threading.Thread, dict]:
    answer: dict = {}

    def poll():
        answer.update(t.a.call("getblocktemplate", {**RULES, "longpollid": longpollid}, timeout=120))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    return thread, answer


@case("mining", "long poll holds until the tip changes", FACTS)
def _(t, s):
    tmpl = template(t)
    thread, answer = _long_poll(t, tmpl["longpollid"])
    thread.join(LONG_POLL_HOLD)  # a bounded look: still holding after a second?
    held = thread.is_alive()
    other_calls_answered = t.a.call("getblockcount") == tmpl["height"] - 1
    new_tip = t.b.call("generatetoaddress", 1, t.address)[0]  # the tip moves on the *other* node
    thread.join(30)
    return {"facts": {"held": held, "other_calls_answered_meanwhile": other_calls_answered,
                      "answered_after_tip_change": not thread.is_alive(),
                      "new_template_on_new_tip": answer.get("previousblockhash") == new_tip}}


@case("mining", "long poll with an outdated longpollid answers at once", FACTS)
def _(t, s):
    old = template(t)["longpollid"]
    t.a.call("generatetoaddress", 1, t.address)
    started = time.monotonic()
    thread, answer = _long_poll(t, old)
    thread.join(30)
    return {"facts": {"answered_at_once": time.monotonic() - started < LONG_POLL_HOLD and bool(answer)}}


def _proposal(t, block: blocks.Crafted):
    return call(t.a, "getblocktemplate", {"mode": "proposal", "data": block.hex()})


case("proposal", "proposal of a valid block", VALUE)(lambda t, s: _proposal(t, crafted(t)))
case("proposal", "proposal not on the tip", VALUE)(
    lambda t, s: _proposal(t, crafted(t, prev=t.a.call("getblockhash", 1), height=2)))
case("proposal", "proposal without proof of work", VALUE)(lambda t, s: _proposal(t, crafted(t, solved=False)))
case("proposal", "proposal with a bad coinbase height", VALUE)(
    lambda t, s: _proposal(t, crafted(t, coinbase_height=1)))


@case("proposal", "proposal of a known block", VALUE)
def _(t, s):
    return _proposal(t, blocks.Crafted(bytes.fromhex(t.a.call("getblock", _best(t), 0))))


case("proposal", "proposal without data", ERROR)(lambda t, s: call(t.a, "getblocktemplate", {"mode": "proposal"}))
case("proposal", "proposal undecodable", ERROR)(
    lambda t, s: call(t.a, "getblocktemplate", {"mode": "proposal", "data": "00"}))

# -- submitblock ---------------------------------------------------------------------------


@case("submitblock", "accepted (null)", VALUE)
def _(t, s):
    s["accepted"] = crafted(t)
    return submit(t, s["accepted"])


case("submitblock", "duplicate", VALUE)(lambda t, s: submit(t, s["accepted"]))


@case("submitblock", "valid but not the tip: inconclusive", VALUE)
def _(t, s):
    tip = t.a.call("getblockheader", _best(t))
    s["side"] = crafted(t, prev=tip["previousblockhash"], height=tip["height"], tag=b"side branch")
    return submit(t, s["side"])


case("submitblock", "side-branch block again: duplicate", VALUE)(lambda t, s: submit(t, s["side"]))
case("submitblock", "unknown parent: prev-blk-not-found", VALUE)(lambda t, s: submit(t, crafted(t, prev="11" * 32)))
case("submitblock", "high-hash", VALUE)(lambda t, s: submit(t, crafted(t, solved=False)))
case("submitblock", "bad-txnmrklroot", VALUE)(lambda t, s: submit(t, crafted(t, merkle=b"\x11" * 32)))
case("submitblock", "bad-diffbits", VALUE)(lambda t, s: submit(t, crafted(t, bits=0x2000FFFF)))


@case("submitblock", "time-too-old", VALUE)
def _(t, s):
    return submit(t, crafted(t, time=template(t)["mintime"] - 1))


@case("submitblock", "time-too-new", VALUE)
def _(t, s):
    return submit(t, crafted(t, time=template(t)["curtime"] + 3 * 3600))


@case("submitblock", "bad-cb-height", VALUE)
def _(t, s):
    s["bad_height"] = crafted(t, coinbase_height=1)
    return submit(t, s["bad_height"])


case("submitblock", "invalid block again: duplicate-invalid", VALUE)(lambda t, s: submit(t, s["bad_height"]))


@case("submitblock", "child of an invalid block: bad-prevblk", VALUE)
def _(t, s):
    parent = s["bad_height"]
    return submit(t, crafted(t, prev=parent.hash, height=template(t)["height"] + 1))


@case("submitblock", "bad-cb-amount", VALUE)
def _(t, s):
    return submit(t, crafted(t, value=template(t)["coinbasevalue"] + 1, tag=b"greedy"))


@case("submitblock", "bad-cb-multiple", VALUE)
def _(t, s):
    height = template(t)["height"]
    return submit(t, crafted(t, extra_txs=(blocks.coinbase(height, 1, b"second"),)))


@case("submitblock", "bad-txns-duplicate", VALUE)
def _(t, s):
    # a pair of equal transactions in one merkle row: how core (CVE-2012-2459) detects duplicates
    return submit(t, crafted(t, extra_txs=(blocks.spend(1), blocks.spend(), blocks.spend())))


@case("submitblock", "no coinbase first", ERROR)
def _(t, s):
    return submit(t, crafted(t, with_coinbase=False, extra_txs=(blocks.spend(),)))


case("submitblock", "bad-version", VALUE)(lambda t, s: submit(t, crafted(t, version=1)))
case("submitblock", "undecodable", ERROR)(lambda t, s: call(t.a, "submitblock", "00"))

# -- forks ---------------------------------------------------------------------------------


@case("forks", "getchaintips after a fork", VALUE)
def _(t, s):
    old_tip = t.a.call("generatetoaddress", 1, t.address)[0]  # a tip with no invalid children
    t.a.call("invalidateblock", old_tip)
    t.a.call("generatetoaddress", 2, t.other_address)
    t.a.call("reconsiderblock", old_tip)
    tips = t.a.call("getchaintips")
    return {"result": sorted((tip["status"], tip["branchlen"]) for tip in tips)}


case("forks", "getchaintips entry fields")(lambda t, s: call(t.a, "getchaintips"))
case("forks", "invalidateblock unknown block", ERROR)(lambda t, s: call(t.a, "invalidateblock", "00" * 32))
case("forks", "reconsiderblock", VALUE)(lambda t, s: call(t.a, "reconsiderblock", _best(t)))

# -- submitheader --------------------------------------------------------------------------


def submit_header(t: Target, block: blocks.Crafted) -> dict:
    return call(t.a, "submitheader", block.raw[:80].hex())


def tip_of(t: Target, block_hash: str) -> list:
    return [(tip["status"], tip["branchlen"]) for tip in t.a.call("getchaintips") if tip["hash"] == block_hash]


def above(t: Target, parent: blocks.Crafted, **changes) -> blocks.Crafted:
    """A block on `parent`, which is one above the tip (a header without its block, say)."""
    honest = blocks.Recipe.of(template(t))
    return blocks.build(blocks.replace(honest, prev=parent.hash, height=honest.height + 1, time=honest.time + 1,
                                       **changes), t.pow)


def heights(t: Target, base: int) -> list[int]:
    info = t.a.call("getblockchaininfo")
    return [t.a.call("getblockcount") - base, info["blocks"] - base, info["headers"] - base]


@case("submitheader", "submitheader on the tip (null)", VALUE)
def _(t, s):
    s["ahead"], s["base"] = crafted(t, tag=b"header first"), t.a.call("getblockcount")
    return submit_header(t, s["ahead"])


case("submitheader", "submitheader, then getchaintips: headers-only, branchlen 1", VALUE)(
    lambda t, s: {"result": tip_of(t, s["ahead"].hash)})
case("submitheader", "submitheader, then getblockcount, blocks, headers: only headers moves", VALUE)(
    lambda t, s: {"result": heights(t, s["base"])})
case("submitheader", "getblockheader of a headers-only entry")(lambda t, s: call(t.a, "getblockheader", s["ahead"].hash))


@case("submitheader", "getblockheader of a headers-only entry: confirmations -1, nTx 0, its 80 bytes", FACTS)
def _(t, s):
    seen = t.a.call("getblockheader", s["ahead"].hash)
    raw = t.a.call("getblockheader", s["ahead"].hash, False)
    return {"facts": {"confirmations": seen["confirmations"], "nTx": seen["nTx"], "next": "nextblockhash" in seen,
                      "raw_is_the_header": raw == s["ahead"].raw[:80].hex()}}


case("submitheader", "getblock of a headers-only entry", ERROR)(lambda t, s: call(t.a, "getblock", s["ahead"].hash))
case("submitheader", "getblockhash at its height", ERROR)(lambda t, s: call(t.a, "getblockhash", s["base"] + 1))
case("submitheader", "submitheader of the same header again (null)", VALUE)(lambda t, s: submit_header(t, s["ahead"]))
case("submitheader", "submitheader on a headers-only entry (null)", VALUE)(
    lambda t, s: submit_header(t, s.setdefault("above", above(t, s["ahead"], tag=b"above"))))
case("submitheader", "getchaintips: headers-only, branchlen 2", VALUE)(lambda t, s: {"result": tip_of(t, s["above"].hash)})
case("submitheader", "a block on a headers-only parent by submitblock: inconclusive", VALUE)(lambda t, s: submit(t, s["above"]))
case("submitheader", "that block again: duplicate", VALUE)(lambda t, s: submit(t, s["above"]))
case("submitheader", "getchaintips: still headers-only, branchlen 2", VALUE)(
    lambda t, s: {"result": tip_of(t, s["above"].hash)})
case("submitheader", "getblock of a block waiting for its parent's block", VALUE)(
    lambda t, s: {**call(t.a, "getblock", s["above"].hash, 0), "result": None})


@case("submitheader", "submitheader, then its block by submitblock: both connected (active)", VALUE)
def _(t, s):
    return {"result": [submit(t, s["ahead"]).get("result"), tip_of(t, s["above"].hash), heights(t, s["base"])]}


case("submitheader", "submitheader of a block on the active chain (null)", VALUE)(
    lambda t, s: submit_header(t, s["ahead"]))
case("submitheader", "submitheader of the genesis block: its previous header (all zeros) is unknown", ERROR)(
    lambda t, s: call(t.a, "submitheader", t.a.call("getblockheader", t.a.call("getblockhash", 0), False)))


case("submitheader", "submitheader unknown parent", ERROR)(lambda t, s: submit_header(t, crafted(t, prev="11" * 32)))
case("submitheader", "submitheader high-hash", ERROR)(lambda t, s: submit_header(t, crafted(t, solved=False)))
case("submitheader", "submitheader bad-diffbits", ERROR)(lambda t, s: submit_header(t, crafted(t, bits=0x2000FFFF)))
case("submitheader", "submitheader time-too-old", ERROR)(
    lambda t, s: submit_header(t, crafted(t, time=template(t)["mintime"] - 1)))
case("submitheader", "submitheader time-too-new", ERROR)(
    lambda t, s: submit_header(t, crafted(t, time=template(t)["curtime"] + 3 * 60 * 60)))
case("submitheader", "submitheader bad-version (4: below the BIP9 top bits)", ERROR)(
    lambda t, s: submit_header(t, crafted(t, version=4)))
case("submitheader", "submitheader bad-version (top bit set: negative)", ERROR)(
    lambda t, s: submit_header(t, crafted(t, version=-1)))


@case("submitheader", "submitheader of an invalid block: duplicate", ERROR)
def _(t, s):
    s["broken"] = crafted(t, coinbase_height=1, tag=b"broken")
    submit(t, s["broken"])
    return submit_header(t, s["broken"])


case("submitheader", "submitheader on an invalid block: bad-prevblk", ERROR)(
    lambda t, s: submit_header(t, above(t, s["broken"], tag=b"on broken")))


@case("submitheader", "broken block on a headers-only parent: its reason, then duplicate-invalid", VALUE)
def _(t, s):
    parent = crafted(t, tag=b"parent of broken")
    submit_header(t, parent)
    broken = above(t, parent, coinbase_height=1, tag=b"broken above")
    return {"result": [submit(t, broken).get("result"), submit(t, broken).get("result"), tip_of(t, broken.hash)]}


case("submitheader", "submitheader of a whole block (the header is read, the rest ignored)", VALUE)(
    lambda t, s: call(t.a, "submitheader", crafted(t, tag=b"whole").hex()))
case("submitheader", "submitheader odd-length hex", ERROR)(
    lambda t, s: call(t.a, "submitheader", crafted(t, tag=b"odd").raw[:80].hex() + "0"))
case("submitheader", "submitheader empty", ERROR)(lambda t, s: call(t.a, "submitheader", ""))
case("submitheader", "submitheader not a string", ERROR)(lambda t, s: call(t.a, "submitheader", 5))
case("submitheader", "submitheader not hex", ERROR)(lambda t, s: call(t.a, "submitheader", "xx" * 80))
case("submitheader", "submitheader shorter than a header", ERROR)(lambda t, s: call(t.a, "submitheader", "ff" * 78))

# -- protocol ------------------------------------------------------------------------------

case("protocol", "unknown method", ERROR)(lambda t, s: call(t.a, "nosuchmethod"))
case("protocol", "unknown method, JSON-RPC 2.0", CODE)(
    lambda t, s: _flat(exchange(t.a, {"jsonrpc": "2.0", "method": "nosuchmethod", "params": [], "id": 1})))
case("protocol", "wrong type: getblockhash \"x\"", ERROR)(lambda t, s: call(t.a, "getblockhash", "x"))
case("protocol", "wrong type: getblockheader 5", ERROR)(lambda t, s: call(t.a, "getblockheader", 5))
case("protocol", "wrong type: generatetoaddress \"x\"", ERROR)(
    lambda t, s: call(t.a, "generatetoaddress", "x", t.address))
case("protocol", "wrong type: getblock verbosity \"x\"", ERROR)(lambda t, s: call(t.a, "getblock", _best(t), "x"))
case("protocol", "too few parameters: getblockhash", CODE)(lambda t, s: call(t.a, "getblockhash"))
case("protocol", "too many parameters: getblockcount 1", CODE)(lambda t, s: call(t.a, "getblockcount", 1))
case("protocol", "unknown named parameter", ERROR)(
    lambda t, s: _flat(exchange(t.a, {"method": "getblockcount", "params": {"a": 1}, "id": 1})))
case("protocol", "params neither array nor object", ERROR)(
    lambda t, s: _flat(exchange(t.a, {"method": "getblockcount", "params": "x", "id": 1})))
case("protocol", "method not a string", ERROR)(lambda t, s: _flat(exchange(t.a, {"method": 1, "id": 1})))
case("protocol", "parse error", ERROR)(lambda t, s: _flat(exchange(t.a, b"{not json")))


@case("protocol", "a key given twice: the first counts", FACTS)
def _(t, s):
    # Core's UniValue keeps both and finds the first; Python's json keeps the last, so
    # {"method":"getblockcount","method":"stop"} stopped a node where Core answers the height.
    method = exchange(t.a, b'{"method": "getblockcount", "method": "getbestblockhash", "id": 1}')["reply"]
    params = exchange(t.a, b'{"method": "getblockhash", "params": [0], "params": [1], "id": 1}')["reply"]
    return {"facts": {"method: the first": isinstance(method.get("result"), int),
                      "params: the first": params.get("result") == t.a.call("getblockhash", 0)}}


@case("protocol", "batch (ok, unknown method, not an object)", VALUE)
def _(t, s):
    seen = exchange(t.a, [{"method": "getconnectioncount", "params": [], "id": 1}, {"method": "nosuch", "id": 2}, 5])
    return {"http": seen["http"], "result": [(r.get("id"), (r.get("error") or {}).get("code")) for r in seen["reply"]]}


case("protocol", "empty batch", VALUE)(lambda t, s: {**exchange(t.a, []), "result": None})


@case("protocol", "wrong credentials", VALUE)
def _(t, s):
    seen = exchange(t.a, {"method": "getblockcount", "params": [], "id": 1}, password="wrong")
    return {"http": seen["http"], "result": seen["reply"]}


# Last: it splits the two chains (fakenet has no UTXO set and accepts the block).
@case("submitblock", "spends an output that does not exist", VALUE)
def _(t, s):
    return submit(t, crafted(t, extra_txs=(blocks.spend(),)))


def _flat(seen: dict) -> dict:
    reply = seen["reply"] if isinstance(seen["reply"], dict) else {}
    error = reply.get("error") or {}
    return {"http": seen["http"], "code": error.get("code"), "message": error.get("message"),
            "result": reply.get("result")}
