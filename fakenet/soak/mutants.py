"""Planted bugs in the oracle, one per prediction rule: the soak must find each (mutation testing).

A mutant is a small source patch of the oracle (harness/model.py, chain_model.py, interests.py, or
the step that feeds the interest rule): each `old` text occurs exactly once in the file, and is
replaced by `new`. The interest rule's mutants soak on the local backend (LOCAL): sim serves no
HTTP, so its runs draw no ceramic-one steps. `./fake soak --mutants` soaks each one
(fakenet/soak/mutation.py) and counts it killed when the soak disagrees with the network. A
mutant whose text no longer occurs is stale: the model changed, so the mutant must follow it
(tests/unit/test_mutants.py checks every one still applies).
"""

from __future__ import annotations

from dataclasses import dataclass

MODEL, CHAIN = "fakenet/harness/model.py", "fakenet/harness/chain_model.py"
INTERESTS, EVENT_STEPS = "fakenet/harness/interests.py", "fakenet/scenario/event_steps.py"
LOCAL = "local"


@dataclass(frozen=True)
class Mutant:
    name: str
    rule: str  # which prediction rule it breaks
    path: str
    patches: tuple[tuple[str, str], ...]  # (old, new) pairs, each old occurring once
    backend: str = "sim"  # where the soak can find it

    def apply(self, source: str) -> str:
        for old, new in self.patches:
            found = source.count(old)
            if found != 1:
                raise ValueError(f"mutant {self.name}: {old!r} occurs {found} times in {self.path}, not once")
            source = source.replace(old, new)
        return source


def _one(name: str, rule: str, path: str, old: str, new: str, backend: str = "sim") -> Mutant:
    return Mutant(name, rule, path, ((old, new),), backend)


MUTANTS = (
    # -- the peer graph
    _one("one-way-cut-ignored", "graph", MODEL,
         "(self.allowed.has_edge(u, v) and self.allowed.has_edge(v, u))",
         "(self.allowed.has_edge(u, v) or self.allowed.has_edge(v, u))"),
    _one("cuts-ignored", "graph", MODEL,
         "return self.allowed is None or (", "return True or ("),
    _one("far-end-down-ignored", "graph", MODEL,
         "u not in self.down and v not in self.down and self.link_allowed", "u not in self.down and self.link_allowed"),
    _one("changed-identity-trusted", "graph", MODEL,
         "and self.trusted[u].get(v) == self.identity[v] and self.trusted[v].get(u) == self.identity[u]", ""),
    _one("new-identity-unseen", "graph", MODEL,
         "self.identity[node] = peer_id", "self.identity.setdefault(node, peer_id)"),
    # -- holders and the LRU cache
    _one("eviction-on-overflow-ignored", "lru", MODEL,
         "while len(self.order) > self.limit:", "while False:"),
    _one("cache-limit-off-by-one", "lru", MODEL,
         "while len(self.order) > self.limit:", "while len(self.order) > self.limit + 1:"),
    _one("use-does-not-refresh", "lru", MODEL,
         "        self.order[stream] = None\n        self.order.move_to_end(stream)\n",
         "        self.order.setdefault(stream, None)\n"),
    _one("evict-ignored", "lru", MODEL,
         "            self.order.pop(stream, None)", "            pass"),
    _one("evict-newest-first", "lru", MODEL,
         "list(self.order)[: count", "list(reversed(self.order))[: count"),
    _one("restart-keeps-cache", "holders", MODEL,
         "            self.caches[node].clear()", "            pass"),
    _one("holders-ignore-pins", "holders", MODEL,
         "stream in self.pins[n] or stream in self.caches[n].order", "stream in self.caches[n].order"),
    # -- pins
    _one("unpin-drops-uncached", "pins", MODEL,
         "return [] if stream in self.caches[node].order else self.used(node, stream)", "return []"),
    _one("unpin-ignored", "pins", MODEL,
         "        self.pins[node].discard(stream)\n", "        self.pins[node].add(stream)\n"),
    _one("pin-is-no-use", "pins", MODEL,
         "        self.used(node, stream)\n        self.pins[node].add(stream)",
         "        self.pins[node].add(stream)"),
    # -- availability
    _one("availability-ignores-components", "availability", MODEL,
         "elif holders[stream] & sure_parts[node]:", "elif holders[stream]:"),
    _one("doubtful-links-asserted", "availability", MODEL,
         "sure, maybe = self._without(graph, keep_doubtful=False)", "sure, maybe = self._without(graph, keep_doubtful=True)"),
    # -- links: delay, loss, the timing bounds
    _one("degrades-ignored", "links", MODEL,
         "self.shaped = dict(shaped or {})", "self.shaped = {}"),
    _one("peer-timeout-ignored", "links", MODEL,
         "self.timing = Timing(sync_timeout, peer_timeout)", "self.timing = Timing(sync_timeout, None)"),
    _one("dead-link-kept", "links", MODEL,
         "\n                and not self.timing.dead(self._delay(u, v)))", ")"),
    _one("sync-timeout-ignored", "links", MODEL,
         "self.timing = Timing(sync_timeout, peer_timeout)", "self.timing = Timing(None, peer_timeout)"),
    _one("loss-ignored", "links", MODEL,
         "return (loss == 0 and self.steady(delay)", "return (self.steady(delay)"),
    # -- heal
    _one("heal-converges-per-undo", "heal", MODEL,
         "self._deferring, self._deferred = True, False", "self._deferring, self._deferred = False, False"),
    # -- the chain: tips, ties, reorgs
    _one("mined-blocks-stay-home", "chain tips", CHAIN,
         "self.converge([component])", "self.converge([{node}])"),
    _one("shortest-branch-wins", "chain tips", CHAIN,
         "best = max(len(b) for b in held)", "best = min(len(b) for b in held)"),
    Mutant("tie-winner-guessed", "chain ties", CHAIN, (
        ("if len(leaders) != 1:  # behind a tie", "if False:  # behind a tie"),
        ("(winner,) = leaders", "winner = min(leaders)"))),
    _one("tie-candidates-ignored", "chain ties", CHAIN,
         "self.candidates.get(node, {self.branch[node]})}", "{self.branch[node]}}"),
    _one("reorg-depth-off-by-one", "chain reorgs", CHAIN,
         "return len(old) - common", "return len(old) - common + 1"),
    # -- interests: which node's feed holds which event (Recon)
    _one("sync-through-uninterested-nodes", "interests", INTERESTS,
         "interested = graph.subgraph(self.interested[model] & set(graph))", "interested = graph", LOCAL),
    _one("interest-registration-ignored", "interests", INTERESTS,
         "        self.interested[model].add(node)\n", "        pass\n", LOCAL),
    _one("sync-ignores-cuts", "interests", EVENT_STEPS,
         "graph = ctx.net.oracle.expected_graph()", "graph = ctx.net.oracle.model.topology.subgraph(ctx.net.up()).copy()",
         LOCAL),
    _one("refused-write-kept", "interests", EVENT_STEPS,
         "        ceramic.rule.refused_write(cid)", "        ceramic.rule.posted(a[\"on\"], model, [cid])", LOCAL),
    _one("slow-links-sync-in-time", "interests", EVENT_STEPS,
         "    graph.remove_edges_from([tuple(link) for link in ctx.net.oracle.model.unsteady_links()])\n", "", LOCAL),
)
