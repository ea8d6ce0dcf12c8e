"""The next step of a soak run, drawn from one seeded RNG among the steps the model allows now.

Steps are written as scenario steps (`{"crash": "node3"}`), so a run is a scenario file. Only
the model is asked what is possible (which nodes are up, which faults are active, where a
stream is available), never a node.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from fakenet.harness import faults

if TYPE_CHECKING:
    from fakenet.harness.network import Network

Step = dict  # {step name: arguments}, as in a scenario file

WEIGHTS = {"create": 6, "load": 4, "update": 3, "pin": 3, "unpin": 2, "evict": 2, "pressure": 1, "mine": 3,
           "crash": 2, "stop": 1, "start": 3, "restart": 1, "pause": 1, "unpause": 2, "lose_identity": 1,
           "restore_identity": 2, "partition": 2, "cut_link": 2, "cut_one_way": 2, "isolate": 1, "degrade": 2,
           "heal": 2}


class Chooser:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.labels: dict[str, str] = {}  # label -> stream id, in creation order
        self.creators: dict[str, str] = {}  # label -> the node whose key controls the stream
        self._known: list | None = None

    def next(self, net: Network) -> Step:
        self._known = None  # what the model predicts is computed once per step
        options = [(name, weight) for name, weight in WEIGHTS.items() if self._possible(name, net)]
        name = self.rng.choices([n for n, _ in options], [w for _, w in options])[0]
        return getattr(self, f"_{name}")(net)

    # -- what is possible now ------------------------------------------------------------------

    def _possible(self, name: str, net: Network) -> bool:
        up, streams = net.up(), bool(self.labels)
        checks = {
            "create": bool(up), "load": streams and bool(self._available(net)), "update": bool(self._updatable(net)),
            "pin": bool(self._available(net)), "unpin": bool(self._pinned(net)), "evict": streams and bool(up),
            "pressure": bool(up), "mine": bool(self._miners(net)), "crash": len(up) > 1, "stop": len(up) > 1,
            "start": bool(self._faulted(net, faults.Crash)), "restart": bool(up),
            "pause": len(up) > 1 and net.backend.can_pause,
            "unpause": bool(self._faulted(net, faults.Pause)), "lose_identity": len(up) > 1,
            "restore_identity": bool(self._faulted(net, faults.LoseIdentity)), "partition": len(net.names) > 2,
            "cut_link": True, "cut_one_way": True, "isolate": True, "degrade": True, "heal": bool(net.fleet.active)}
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
        return {"evict_cache": {"on": self._node(net.up()), "count": self.rng.randint(1, 3)}}

    def _pressure(self, net):
        return {"cache_pressure": {"on": self._node(net.up()), "count": self.rng.randint(1, 3)}}

    def _miners(self, net) -> list[str]:
        """Up nodes whose branch the model knows: one behind a tie may be on either side, so what
        its blocks extend is open (the model refuses to guess)."""
        return [name for name in net.up() if name not in net.oracle.model.chain.candidates]

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
        return {"degrade": {"between": self._edge(net), "delay": f"{self.rng.choice([20, 100, 300])}ms",
                            "loss": self.rng.choice([0.0, 0.0, 0.05])}}

    def _heal(self, net):
        return "heal"
