"""Which of two logs of one stream a node keeps: Ceramic's conflict resolution, made a total order.

Ceramic's rules: an anchored log beats an unanchored one; of two anchored logs the earlier
anchor wins (that history was fixed first); then the longer log; then the lower tip CID.
Applied to the tips alone those rules can cycle (a newer log that extends an anchored one is
unanchored again, yet must win over it), so here each log gets one sort key:

1. the heights of its anchors in log order, compared element by element, where running out
   of anchors counts as "anchored never" (worse than any height). The logs' shared anchors
   tie, and the first anchor after the point they diverge decides: anchored beats
   unanchored, earlier beats later;
2. the longer log (when one log extends the other this is simply the newer one);
3. the lower tip CID by bytes, an arbitrary but deterministic tie-break.

A key per log makes `pick` symmetric and transitive: every node keeps the same log whatever
order the forks reach it in. Anchors whose block was reorged out (height None) do not count.

`settle`, which the node uses whenever it chooses, puts one rule before Ceramic's, because
anchor commits are unsigned and anyone can get an old tip into a block: a log that only adds
anchors to a prefix of another log, where that other log carries on from the prefix with signed
commits, is out. Its anchors attest content those later commits superseded, and an anchor must
never bring that content back (issue 24: a genuine proof for the genesis rolled {"balance": 200}
back to 0). The rule looks at two logs at once, so it is a filter over the logs a node has seen
(the one it holds and what arrived) rather than part of the key: `pick` stays a total order.
Where it departs from Ceramic (an old tip anchored first, by a race, before a later commit was
seen) the signed content wins over the anchor.
"""

from __future__ import annotations

import dataclasses
import math

from fakenet.node.streams.state import LogEntry, StreamState


def pick(a: StreamState, b: StreamState) -> StreamState:
    """The log to keep; for two identical logs, `a` (pass the state you hold first)."""
    if a.stream_id != b.stream_id:
        raise ValueError(f"cannot choose between logs of different streams: {a.stream_id} and {b.stream_id}")
    return b if _key(b) < _key(a) else a


def settle(states: list[StreamState]) -> StreamState:
    """The log to keep of several (the first wins ties: put the one you hold first): `pick`'s,
    among those no other log supersedes."""
    live = [s for s in states if not any(superseded(s, other) for other in states)] or states
    winner = live[0]
    for state in live[1:]:
        winner = pick(winner, state)
    return winner


def fork_wins(held: StreamState, log: tuple[LogEntry, ...]) -> bool:
    """Whether a fork whose log is `log` (gossip_steps' branch) would be kept over `held`. The rules
    read only the logs (anchors, lengths, tips), so a losing fork is refused before its content is
    rebuilt: a peer's fork costs its own commits' checks, not a replay of the held log."""
    shape = dataclasses.replace(held, log=log)  # content is not the fork's: never kept, only compared
    return settle([held, shape]) is shape


def superseded(state: StreamState, other: StreamState) -> bool:
    """Whether `state` only anchors a prefix of `other` that `other` continues with signed commits."""
    shared = _shared(state, other)
    return (shared < len(state.log) and all(entry.kind == "anchor" for entry in state.log[shared:])
            and any(entry.kind != "anchor" for entry in other.log[shared:]))


def _shared(a: StreamState, b: StreamState) -> int:
    """How many commits the two logs share from genesis."""
    count = 0
    for x, y in zip(a.log, b.log):
        if x.cid != y.cid:
            break
        count += 1
    return count


def _key(state: StreamState) -> tuple:
    """Lower is better."""
    heights = tuple(entry.anchor_height for entry in state.log if entry.anchor_height is not None)
    return heights + (math.inf,), -len(state.log), bytes(state.tip)
