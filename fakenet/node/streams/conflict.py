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
"""

from __future__ import annotations

import math

from fakenet.node.streams.state import StreamState


def pick(a: StreamState, b: StreamState) -> StreamState:
    """The log to keep; for two identical logs, `a` (pass the state you hold first)."""
    if a.stream_id != b.stream_id:
        raise ValueError(f"cannot choose between logs of different streams: {a.stream_id} and {b.stream_id}")
    return b if _key(b) < _key(a) else a


def _key(state: StreamState) -> tuple:
    """Lower is better."""
    heights = tuple(entry.anchor_height for entry in state.log if entry.anchor_height is not None)
    return heights + (math.inf,), -len(state.log), bytes(state.tip)
