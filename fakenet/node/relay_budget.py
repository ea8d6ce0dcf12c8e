"""What a node passes on for its peers, and the replies it takes for what it asked (issue 24).

Every peer charges what this node sends it to one work budget (fakenet.node.stream_network:
WORK_RATE). A node that passed on every search and gossip frame a rogue sent it, within the
rogue's own budget, would send its other neighbours as much as the rogue sent it, plus its own
traffic: over their budget, so they would drop the honest relay along with the rogue. So:

- `Relay`: a node passes a flooded frame on only within a share per source and a cap per link
  (stream_network: SHARE, RELAY), both below what any peer grants it. What does not fit is not passed on: a search
  counts those links as lost (the asker learns it searched only part of the component, and the
  search still ends), gossip skips them (a holder that misses an update syncs on its next load).
  The share per source keeps one flooding peer from taking a link's whole cap from the others.
  A node cannot tell what a neighbour asks for itself from what it passes on, so both spend that
  neighbour's share: while a rogue floods a relay, searches at or behind the relay may come back
  partial at the next node (lost links, said in the load's error) until the share refills, in
  seconds. No honest link is dropped.
- `Solicited`: the replies (`sr`, `br`, `qd`, `qa`) to a request this node sent on a link are
  work it asked for, so they are not charged to that link's budget, up to what an honest peer
  sends for one request: one `qd`, a few `qa`, TIPS_PER_LINK answers, the blocks it was asked
  for. Beyond that, or for a search it was not asked, a reply is charged like any frame. The free
  replies are bounded by the requests this node sends, which `Relay` and the asker's pace bound.

A relay passes up only what its parent can take free: the blocks its parent asked for and at most
TIPS_PER_LINK answers a search (fakenet.node.stream_network.unrelayed).
"""

from __future__ import annotations

from typing import Hashable, Iterable

from fakenet.node import stream_frames
from fakenet.node.budget import Budgets
from fakenet.node.echo import ALIVE, DONE, Bounded

ALIVE_FREE = 8  # `qa` a child may send free per request: two sync timeouts of ticks; later ones cost a unit


class Relay:
    """The links a peer's flooded frame may go on to now: charged once to the source's share,
    then to each link's cap."""

    def __init__(self, link_rate: float, link_burst: float, share_rate: float, share_burst: float):
        self._links = Budgets(link_rate, link_burst)
        self._shares = Budgets(share_rate, share_burst)

    def onward(self, source, links: Iterable, units: float) -> tuple[list, int]:
        """(links to send on, how many other links it may not go to now); `source` is never one."""
        others = [link for link in links if link is not source]
        if not self._shares.take(source.id, units):
            return [], len(others)
        passed = [link for link in others if self._links.take(link.id, units)]
        return passed, len(others) - len(passed)

    def forget(self, conn_id: int) -> None:
        self._links.forget(conn_id)
        self._shares.forget(conn_id)


def allowance(request: dict, tips_per_link: int) -> dict[str, int]:
    """Work units of each reply type an honest peer may send for `request` (stream_frames.cost)."""
    if request["t"] == "sq":
        answers = {"sr": tips_per_link * (1 + stream_frames.MAX_LOG)}
    else:  # bq: one `br` per block at worst, each naming it and carrying it at its size limit
        per_block = 2 + stream_frames.MAX_BLOCK_HEX // stream_frames.HEX_PER_UNIT
        answers = {"br": per_block * len(request["cids"])}
    return {DONE: 1, ALIVE: ALIVE_FREE, **answers}


class Solicited:
    """Per (search, link): the reply units still free, and the CIDs asked (a `br` may carry only those)."""

    def __init__(self, tips_per_link: int, memory: int | None = None):
        self._tips = tips_per_link
        self._open = Bounded(memory) if memory else Bounded()

    def asked(self, qid: str, link: Hashable, request: dict) -> None:
        self._open.remember((qid, link), (allowance(request, self._tips), frozenset(request.get("cids", ()))))

    def take(self, qid: str, link: Hashable, message: dict) -> bool:
        """Whether `message` is a reply `link` owes this node for search `qid` and fits what is
        left free (then it is spent); a `qd` closes the search on that link."""
        entry = self._open.get((qid, link))
        if entry is None:
            return False
        left, _cids = entry
        units = stream_frames.cost(message)
        if left.get(message["t"], 0) < units:
            return False
        left[message["t"]] -= units
        if message["t"] == DONE:
            del self._open[(qid, link)]
        return True

    def asked_for(self, qid: str, link: Hashable, blocks: dict) -> dict:
        """The blocks of a `br` on `link` that this node asked `link` for (none if it asked nothing)."""
        entry = self._open.get((qid, link))
        cids = entry[1] if entry is not None else frozenset()
        return {cid: data for cid, data in blocks.items() if cid in cids}
