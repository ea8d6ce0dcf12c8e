"""The oracle's chain: which branch each node follows, predicted from the blocks the harness mined.

Every node starts at genesis (fresh state). Mining `n` blocks at v extends v's branch, and every
up node that v's component reaches follows it. When the graph changes (a partition heals, a
node comes back), each component converges on its most-work branch: on regtest every block has
the same work, so that is the longest. Equal work is no reason to switch (bitcoin-core keeps
the branch it saw first), so a tie leaves each node where it was — the model predicts that too.
A node that switches branches undoes the blocks above the fork point: that count is its reorg
depth, and its abandoned branch stays in `getchaintips` with that `branchlen`.

Branches are tuples of block hashes (the ones `generatetoaddress` returned: names of the
harness's own actions, never read from a node under check). Genesis is the empty tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from fakenet.errors import FakenetError


class AmbiguousChain(FakenetError):
    """The harness asked for a prediction the chain rules leave open."""


@dataclass(frozen=True)
class Reorg:
    node: str
    depth: int  # blocks disconnected from the old tip down to the fork point
    abandoned: str  # the old tip's hash
    adopted: str  # the new tip's hash
    # Other (depth, abandoned tip) pairs getchaintips may show instead: after a heal that undid several
    # faults, a branch the node may have followed in between (converge's `in_between`).
    or_else: frozenset[tuple[int, str]] = frozenset()

    def shown_as(self) -> set[tuple[int, str]]:
        """Every (branchlen, tip) the node's getchaintips may list for the branch it left."""
        return {(self.depth, self.abandoned)} | set(self.or_else)


def fork_depth(old: tuple[str, ...], new: tuple[str, ...]) -> int:
    common = 0
    for a, b in zip(old, new):
        if a != b:
            break
        common += 1
    return len(old) - common


class ChainModel:
    def __init__(self, names: Iterable[str]):
        self.branch: dict[str, tuple[str, ...]] = {name: () for name in names}
        self.reorgs: dict[str, Reorg] = {}  # the latest reorg of each node
        # A node behind a tie of equally long branches takes whichever arrives first: the model
        # knows only the candidates (until a block on one of them breaks the tie).
        self.candidates: dict[str, set[tuple[str, ...]]] = {}
        # Nodes that left one of several candidate branches for a longer one: which branch they
        # abandoned (so which side tip getchaintips lists) is unknown.
        self.unknown_reorg: set[str] = set()

    def possible(self, node: str) -> set[tuple[str, ...]]:
        """The branches the node may follow: one, or the candidates of a tie it has not broken."""
        return self.candidates.get(node) or {self.branch[node]}

    def tips(self, node: str) -> set[tuple[int, str | None]]:
        """The (height, hash) pairs the node may be on; the hash is None at genesis (never mined)."""
        return {(len(b), b[-1] if b else None) for b in self.candidates.get(node, {self.branch[node]})}

    def check_can_mine(self, node: str) -> None:
        """Raise AmbiguousChain when the model could not record blocks mined on `node`: asked before
        mining, so no block the model never knew about is left on the chain."""
        if node in self.candidates:
            raise AmbiguousChain(f"{node} follows one of {len(self.candidates[node])} equally long branches: "
                                 f"the model cannot say which one its blocks extend (mine on a node of one of them)")

    def mined(self, node: str, hashes: list[str], component: set[str]) -> None:
        """`node` mined `hashes` on its own tip; its component follows."""
        self.check_can_mine(node)
        self.branch[node] = self.branch[node] + tuple(hashes)
        self.converge([component])

    def converge(self, components: Iterable[set[str]], in_between: bool = False) -> list[Reorg]:
        """Each component onto its most-work branch; nodes already on a branch that long stay (equal
        work is no reason to switch), even where the model knows only their candidates.

        `in_between`: the components were joined by several changes at once (a heal undoing several
        faults). Each change takes effect when its own link is back (a restarted node's boot, a
        dialler's back-off), so a node may first follow a longer branch of a part that joined it
        sooner, then the winner: the branch it leaves, and so the side tip getchaintips lists, is its
        own or any such branch (seen: a node whose identity came back rejoined a neighbour 0.35 s
        before the isolated miner's links did, and took the neighbour's block first)."""
        happened = []
        for component in components:
            if not component:
                continue
            held = {b for n in sorted(component) for b in self.possible(n)}
            best = max(len(b) for b in held)
            leaders = {b for b in held if len(b) == best}
            for node in sorted(component):
                options = self.possible(node)
                if all(len(b) == best for b in options):
                    continue  # on a longest branch already (which one, the candidates say)
                if len(leaders) != 1:  # behind a tie: it takes whichever leader arrives first
                    self.candidates[node] = set(leaders)
                    continue
                (winner,) = leaders
                passing = _passing(options, held, winner) if in_between else set()
                self._switch(node, options, winner, happened, passing)
        return happened

    def _switch(self, node: str, options: set[tuple[str, ...]], winner: tuple[str, ...], happened: list,
                passing: set[tuple[str, ...]] = frozenset()) -> None:
        self.candidates.pop(node, None)
        self.branch[node] = winner
        depths = {(fork_depth(old, winner), old[-1] if old else None) for old in options}
        if len(depths) > 1:  # it left one of several candidates: which side tip remains is unknown
            self.reorgs.pop(node, None)
            self.unknown_reorg.add(node)
            return
        ((depth, abandoned),) = depths
        or_else = frozenset((fork_depth(b, winner), b[-1]) for b in passing) - {(depth, abandoned)}
        if depth:
            self.unknown_reorg.discard(node)
            self.reorgs[node] = Reorg(node, depth, abandoned, winner[-1], or_else)
            happened.append(self.reorgs[node])


def _passing(options: set[tuple[str, ...]], held: set[tuple[str, ...]], winner: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The branches a node on one of `options` may follow before `winner` when several changes join its
    component at once: any branch held there that is longer than its own (so taken if it comes first),
    shorter than the winner, and not on the winner's way (leaving one of those leaves the same tip)."""
    own = max(len(b) for b in options)
    return {b for b in held if own < len(b) < len(winner) and winner[:len(b)] != b}
