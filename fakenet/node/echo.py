"""Echo searches: a flood that reaches every node connected to the asker, and knows when it has.

A request spreads outwards with no hop limit. The first copy a node sees makes its sender the
node's parent in this search; any later copy, however it came, is answered at once with `done`
(the node is already searching). A node that cannot answer by itself forwards the request on
all its other links and, once each of them has said `done` (or closed), says `done` to its
parent with the number of nodes it and its subtree covered. Answers travel up the parent links
to the asker. This is the echo algorithm (Chang 1982; Segall's PIF): no copy is dropped for
arriving late, by a slow path or with a spent budget, so the search reaches every node of the
asker's connected component whatever its diameter and whatever the per-link delays, and the
asker learns when it is over, which makes "nobody holds it" an answer rather than a timeout.

Cost per search: on each link at most one request and one `done` in each direction, and answers
only towards the parent, filtered so that the same thing crosses a link at most once.

A node sends its answer before its `done` on the same link, and links are FIFO, so a parent has
passed up every answer of a subtree by the time that subtree reports done.

Silence, not a deadline, ends a wait: a node gives up on a neighbour it asked once it has heard
nothing from it in that search for `silence` seconds (a lost frame, a stalled or paused peer,
a link slower than that), and a node still searching says `alive` to its parent on its first
tick at least `silence / 4` after it last did. So no timeout grows with the diameter: a search of a long line lasts as
long as it takes, and a lost frame costs one `silence`, wherever it was lost. With ticks every
`silence / 4`, a child is heard from at least every `silence / 2` plus the link's round trip, so
a link whose round trip stays under `silence / 2` is never given up on; one whose round trip
exceeds `silence` always is (it cannot even say `done` in time); in between it depends on timing.

Under load the silence granted grows: `grace(link, stalled)` (never negative) is added to `silence` for that link,
where `stalled` is how long the link stalled (its connection heard nothing at all) since the
search last heard from it, read off the link's `stall` clock (the lag and the stalls the node
measured, fakenet.node.lag; nothing on a link whose injected round trip is already `silence / 2`
or more, so the bounds above still hold for injected delays).

Sans-IO: methods take what arrived (and the time) and return the messages to send as (link,
message) pairs; links are whatever the caller uses (connections; names in tests), and `LOCAL`
is the asker. `tick` must be called every `silence / 4` or so while searches are active.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable

DONE = "qd"  # {qid, nodes, lost}: my subtree of this search is finished; it covered `nodes`
# nodes and gave up on `lost` links (silent for `silence`, or closed)
ALIVE = "qa"  # {qid}: my subtree of this search is still searching
LOCAL = "<asker>"  # the link that stands for the asker on the node that began the search
MEMORY = 20000  # searches remembered per node: seen ids and active state must not grow forever

Link = Hashable
Send = tuple[Link, dict]
# What a node does with a request it sees first: (answer to send back or None, request to
# forward to its other links or None). Called once per search per node.
Respond = Callable[[], tuple[dict | None, dict | None]]
# Keeps only what has not yet been passed up for this search (`relayed` is the search's memory
# of that); None when nothing new is left.
Unrelayed = Callable[[dict, set], dict | None]


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries past `limit`."""

    def __init__(self, limit: int = MEMORY):
        super().__init__()
        self.limit = limit

    def remember(self, key, value=True) -> None:
        self[key] = value
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass
class _Search:
    parent: Link
    pending: dict  # link asked that has not said done -> (when it was last heard from, its stall clock then)
    told: float  # when the parent last heard from us
    nodes: int = 1
    lost: int = 0
    relayed: set = field(default_factory=set)


def done(qid: str, nodes: int, lost: int = 0) -> dict:
    return {"t": DONE, "qid": qid, "nodes": nodes, "lost": lost}


class EchoSearches:
    """The searches one node takes part in."""

    def __init__(self, unrelayed: Unrelayed, silence: float, memory: int = MEMORY,
                 grace: Callable[[Link, float], float] = lambda link, stalled: 0.0,
                 stall: Callable[[Link], float] = lambda link: 0.0):
        self._unrelayed, self.silence, self._grace, self._stall = unrelayed, silence, grace, stall
        self._seen = Bounded(memory)
        self._active = Bounded(memory)

    def begin(self, qid: str, request: dict, links: Iterable[Link], now: float) -> list[Send]:
        """Start a search from this node; its answers and final `done` go to LOCAL."""
        self._seen.remember(qid)
        return self._spread(qid, LOCAL, request, links, now)

    def request(self, qid: str, source: Link, links: Iterable[Link], respond: Respond, now: float) -> list[Send]:
        if not self.join(qid, source, now):
            return [(source, done(qid, 0))]
        return self.proceed(qid, links, respond(), now)

    def join(self, qid: str, source: Link, now: float) -> bool:
        """Take part in search `qid` as `source`'s child before knowing what to answer (False for a
        repeat copy, which gets `done(qid, 0)`): from here on `tick` says alive to `source`, so a
        lookup that takes a while (a disk read off the event loop) is not mistaken for silence."""
        if qid in self._seen:
            return False
        self._seen.remember(qid)
        self._active.remember(qid, _Search(source, {}, told=now))
        return True

    def proceed(self, qid: str, links: Iterable[Link], respond: tuple[dict | None, dict | None],
                now: float, unreached: int = 0) -> list[Send]:
        """What a joined search does once its lookup gave `respond`'s (answer, request to forward);
        nothing if its parent went away meanwhile. `unreached` other links were not asked (the
        caller's budget held the request back): they count as lost, so the parent hears `done` at
        once if no link was asked, and learns the search was partial."""
        search = self._active.get(qid)
        if search is None or search.pending:
            return []
        answer, forward = respond
        sends = [(search.parent, answer)] if answer is not None else []
        if forward is None:
            del self._active[qid]
            return sends + [(search.parent, done(qid, 1))]
        return sends + self._spread(qid, search.parent, forward, links, now, lost=unreached)

    def seen(self, qid: str) -> bool:
        """Whether this node has already taken part in search `qid` (a repeat gets `done` at once)."""
        return qid in self._seen

    def answer(self, qid: str, source: Link, message: dict, now: float) -> list[Send]:
        """What goes up the path of an answer from `source`: only a link this node asked, and that
        has not said done, answers (anything else is a peer's noise, not passed on)."""
        search = self._heard(qid, source, now)
        if search is None or source not in search.pending:
            return []
        novel = self._unrelayed(message, search.relayed)
        return [(search.parent, novel)] if novel is not None else []

    def alive(self, qid: str, source: Link, now: float) -> None:
        self._heard(qid, source, now)

    def done(self, qid: str, source: Link, nodes: int, lost: int = 0) -> list[Send]:
        search = self._active.get(qid)
        if search is None or source not in search.pending:
            return []
        del search.pending[source]
        search.nodes += nodes
        search.lost += lost
        return [] if search.pending else self._finish(qid)

    def tick(self, now: float) -> list[Send]:
        """Give up on neighbours silent for `silence` (plus their grace); tell parents we are still searching."""
        sends = []
        for qid, search in list(self._active.items()):
            # `silence` first: the grace is never negative, and most links were heard from lately
            # (a flood keeps thousands of searches active; grace reads the link's clocks and lags).
            for link in [link for link, heard in search.pending.items()
                         if now - heard[0] >= self.silence and now - heard[0] >= self._allowed(link, heard)]:
                sends += self.done(qid, link, 0, lost=1)
            if qid in self._active and search.parent != LOCAL and now - search.told >= self.silence / 4:
                search.told = now
                sends.append((search.parent, {"t": ALIVE, "qid": qid}))
        return sends

    def closed(self, link: Link) -> list[Send]:
        """A link went away: it will never say done, and searches it asked have nobody to tell."""
        sends = []
        for qid, search in list(self._active.items()):
            if search.parent == link:
                del self._active[qid]
            elif link in search.pending:
                sends += self.done(qid, link, 0, lost=1)
        return sends

    def forget(self, qid: str) -> None:
        """The asker gave up: stop keeping state for its search."""
        self._active.pop(qid, None)

    def active(self) -> int:
        return len(self._active)

    def _allowed(self, link: Link, heard: tuple[float, float]) -> float:
        return self.silence + self._grace(link, self._stall(link) - heard[1])

    def _heard(self, qid: str, source: Link, now: float) -> _Search | None:
        search = self._active.get(qid)
        if search is not None and source in search.pending:
            search.pending[source] = (now, self._stall(source))
        return search

    def _spread(self, qid: str, parent: Link, message: dict, links: Iterable[Link], now: float,
                lost: int = 0) -> list[Send]:
        children = [link for link in links if link != parent]
        pending = {child: (now, self._stall(child)) for child in children}
        self._active.remember(qid, _Search(parent, pending, told=now, lost=lost))
        if not children:
            return self._finish(qid)
        return [(child, message) for child in children]

    def _finish(self, qid: str) -> list[Send]:
        search = self._active.pop(qid)
        return [(search.parent, done(qid, search.nodes, search.lost))]
