"""The next step of a soak run, drawn from one seeded RNG among the steps the model allows now.

Steps are written as scenario steps (`{"crash": "node3"}`), so a run is a scenario file. Only
the model is asked what is possible (which nodes are up, which faults are active, where a
stream is available), never a node.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import networkx as nx

from fakenet.harness import faults
from fakenet.soak import event_actions

if TYPE_CHECKING:
    from fakenet.harness.network import Network

Step = dict  # {step name: arguments}, as in a scenario file

WEIGHTS = {"create": 6, "load": 4, "update": 3, "pin": 3, "unpin": 2, "evict": 2, "evict_pinned": 2, "pressure": 1,
           "mine": 3, "tie": 1, "crash": 2, "stop": 1, "start": 3, "restart": 1, "pause": 1, "unpause": 2,
           "lose_identity": 1, "restore_identity": 2, "partition": 2, "cut_link": 2, "cut_one_way": 2,
           "isolate": 1, "degrade": 4, "heal": 2, "latest": 2}
# A delay is drawn this far on either side of one of the node's timing bounds (Timing in the model).
BOUND_SIDES = (0.6, 1.4)


class Chooser:
    """`events`: also draw ceramic-one steps (event_actions.py). In such runs an eviction names its
    stream: Recon caches the documents it syncs at other nodes at times the model does not follow, so
    which streams are "the least recently used N" there is not known (the runs use a cache so large
    that those documents never push a stream out)."""

    def __init__(self, seed: int, events: bool = False):
        self.rng = random.Random(seed)
        self.events = event_actions.EventSteps(self.rng) if events else None
        self.labels: dict[str, str] = {}  # label -> stream id, in creation order
        self.creators: dict[str, str] = {}  # label -> the node whose key controls the stream
        self._known: list | None = None
        self.queued: list[Step] = []  # the second half of a tie, mined on the next step

    def next(self, net: Network) -> Step:
        self._known = None  # what the model predicts is computed once per step
        while self.queued:
            step = self.queued.pop(0)
            if step["mine"]["on"] in self._miners(net):
                return step
        options = [(name, self._weight(name, net)) for name in WEIGHTS if self._possible(name, net)]
        if self.events is not None:
            options += [(name, weight) for name, weight in event_actions.WEIGHTS.items() if self.events.possible(name, net)]
        name = self.rng.choices([n for n, _ in options], [w for _, w in options])[0]
        step = self.events.step(name, net) if name in event_actions.WEIGHTS else getattr(self, f"_{name}")(net)
        if self.events is not None:
            self.events.ran(step, net)
        return step

    def _weight(self, name: str, net: Network) -> int:
        """Heals come mostly after several faults, so one heal undoes many at once."""
        if name == "heal":
            return 1 if len(net.fleet.active) < 2 else 4
        return WEIGHTS[name]

    # -- what is possible now ------------------------------------------------------------------

    def _possible(self, name: str, net: Network) -> bool:
        up, streams = net.up(), bool(self.labels)
        checks = {
            "create": bool(up), "load": streams and bool(self._available(net)), "update": bool(self._updatable(net)),
            "pin": bool(self._available(net)), "unpin": bool(self._pinned(net)),
            "evict": streams and bool(up) and (self.events is None or bool(self._cached(net))),
            "evict_pinned": bool(self._pinned_cached(net)), "tie": len(self._miner_groups(net)) > 1,
            "pressure": bool(up), "mine": bool(self._miners(net)), "crash": len(up) > 1, "stop": len(up) > 1,
            "start": bool(self._faulted(net, faults.Crash)), "restart": bool(up),
            "pause": len(up) > 1 and net.backend.can_pause,
            "unpause": bool(self._faulted(net, faults.Pause)), "lose_identity": len(up) > 1,
            "restore_identity": bool(self._faulted(net, faults.LoseIdentity)), "partition": len(net.names) > 2,
            "cut_link": True, "cut_one_way": True, "isolate": True, "degrade": True, "heal": bool(net.fleet.active),
            "latest": streams and bool(self._available(net))}
        return checks[name]

    def _available(self, net: Network) -> list[tuple[str, str]]:
        if self._known is None:
            predicted = net.oracle.model.availability_map([s for s in self.labels.values() if s], net.up())
            self._known = [(label, node) for label, stream in self.labels.items() for node in net.up()
                           if stream and predicted[(stream, node)] is True]
        return self._known

    def _updatable(self, net: Network) -> list[tuple[str, str]]:
        """Only a stream's controller can sign an update: the node that created it, with its key."""
        keyless = set(self._faulted(net, faults.LoseIdentity))
        return [(label, node) for label, node in self._available(net)
                if self.creators.get(label) == node and node not in keyless]

    def _pinned(self, net: Network) -> list[tuple[str, str]]:
        return [(label, node) for label, stream in self.labels.items() for node in net.up()
                if stream in net.oracle.model.pins[node]]

    def _cached(self, net: Network) -> list[tuple[str, str]]:
        return [(label, node) for label, stream in self.labels.items() for node in net.up()
                if stream and stream in net.oracle.model.caches[node].order]

    def _pinned_cached(self, net: Network) -> list[tuple[str, str]]:
        """Pinned streams still in the node's cache: evicting one leaves it pinned but not cached."""
        return [(label, node) for label, node in self._pinned(net)
                if self.labels[label] in net.oracle.model.caches[node].order]

    def _faulted(self, net: Network, kind: type) -> list[str]:
        return sorted({f.node for f in net.fleet.active if type(f) is kind or (kind is faults.Crash and isinstance(f, kind))})

    def _node(self, nodes) -> str:
        return self.rng.choice(sorted(nodes))

    # -- steps -----------------------------------------------------------------------------------

    def _create(self, net):
        label = f"s{len(self.labels) + 1}"
        self.labels[label] = ""  # the runner fills in the id once the step ran
        self.creators[label] = self._node(net.up())
        return {"create_streams": {"on": self.creators[label], "count": 1, "pin": self.rng.random() < 0.5,
                                   "as": label}}

    def _load(self, net):
        label, node = self.rng.choice(self._available(net))
        return {"load_streams": {"on": [node], "streams": [label]}}

    def _update(self, net):
        label, node = self.rng.choice(self._updatable(net))
        return {"update_streams": {"on": node, "streams": [label]}}

    def _pin(self, net):
        label, node = self.rng.choice(self._available(net))
        return {"pin_streams": {"on": [node], "streams": [label]}}

    def _unpin(self, net):
        label, node = self.rng.choice(self._pinned(net))
        return {"unpin_streams": {"on": [node], "streams": [label]}}

    def _evict(self, net):
        if self.events is not None:
            label, node = self.rng.choice(self._cached(net))
            return {"evict_cache": {"on": node, "streams": [label]}}
        return {"evict_cache": {"on": self._node(net.up()), "count": self.rng.randint(1, 3)}}

    def _latest(self, net):
        """A load returns the newest state any reachable holder has (issue 24): one pair, since a
        load makes the node a holder (as the availability probes). At any available pair, holders
        included: a holder's copy goes stale when its component changes (its own new connection,
        or news of one elsewhere: fakenet.node.component_news), and its next load syncs it. The
        news takes link delays to arrive, so the step polls to its deadline (20 s by default)."""
        label, node = self.rng.choice(self._available(net))
        return {"expect_latest": {"streams": [label], "on": [node]}}

    def _pressure(self, net):
        return {"cache_pressure": {"on": self._node(net.up()), "count": self.rng.randint(1, 3)}}

    def _miners(self, net) -> list[str]:
        """Up nodes whose branch the model knows: one behind a tie may be on either side, so what
        its blocks extend is open (the model refuses to guess)."""
        return [name for name in net.up() if name not in net.oracle.model.chain.candidates]

    def _miner_groups(self, net) -> list[list[str]]:
        """The miners of each component, components with one first."""
        miners = set(self._miners(net))
        groups = [sorted(c & miners) for c in nx.connected_components(net.oracle.model.expected_graph())]
        return sorted((g for g in groups if g), key=lambda g: g[0])

    def _tie(self, net):
        """Two components mine to the same height: a tie, which a later heal or block decides."""
        first, second = self.rng.sample(self._miner_groups(net), 2)
        a, b = self._node(first), self._node(second)
        height = lambda n: len(net.oracle.model.chain.branch[n])
        target = max(height(a), height(b)) + self.rng.randint(1, 2)
        self.queued.append({"mine": {"on": b, "blocks": target - height(b)}})
        return {"mine": {"on": a, "blocks": target - height(a)}}

    def _evict_pinned(self, net):
        label, node = self.rng.choice(self._pinned_cached(net))
        return {"evict_cache": {"on": node, "streams": [label]}}

    def _mine(self, net):
        return {"mine": {"on": self._node(self._miners(net)), "blocks": self.rng.randint(1, 3)}}

    def _crash(self, net):
        return {"crash": self._node(net.up())}

    def _stop(self, net):
        return {"stop": self._node(net.up())}

    def _start(self, net):
        return {"start": self._node(self._faulted(net, faults.Crash))}

    def _restart(self, net):
        return {"restart": self._node(net.up())}

    def _pause(self, net):
        return {"pause": self._node(net.up())}

    def _unpause(self, net):
        return {"unpause": self._node(self._faulted(net, faults.Pause))}

    def _lose_identity(self, net):
        return {"lose_identity": self._node(net.up())}

    def _restore_identity(self, net):
        return {"restore_identity": self._node(self._faulted(net, faults.LoseIdentity))}

    def _partition(self, net):
        names = list(net.names)
        self.rng.shuffle(names)
        cut = self.rng.randint(1, len(names) - 1)
        return {"partition": [sorted(names[:cut]), sorted(names[cut:])]}

    def _edge(self, net) -> list[str]:
        return list(self.rng.choice(sorted(tuple(sorted(e)) for e in net.topology.edges)))

    def _cut_link(self, net):
        return {"cut_link": self._edge(net)}

    def _cut_one_way(self, net):
        u, v = self._edge(net)
        return {"cut_one_way": {"from": u, "to": v} if self.rng.random() < 0.5 else {"from": v, "to": u}}

    def _isolate(self, net):
        return {"isolate": self._node(net.names)}

    def _degrade(self, net):
        return {"degrade": {"between": self._edge(net), "delay": f"{self._delay_ms(net)}ms",
                            "loss": self.rng.choice([0.0, 0.0, 0.0, 0.05, 0.3])}}

    def _delay_ms(self, net) -> int:
        """A small delay, or one just under or over a timing bound: a load's round trip at T/2 and T,
        a connection's keepalive gap at P - 1 s, and its first frame at P (one-way delays)."""
        timing = net.oracle.model.timing
        bounds = [b for b in ((timing.sync_timeout or 0) / 4, (timing.sync_timeout or 0) / 2,
                              (timing.peer_timeout or 0) - timing.keepalive, timing.peer_timeout or 0) if b > 0]
        if not bounds or self.rng.random() < 0.2:
            return self.rng.choice([20, 100, 300])
        return round(1000 * self.rng.choice(bounds) * self.rng.choice(BOUND_SIDES))

    def _heal(self, net):
        return "heal"
