"""The ceramic-one part of a soak run's steps: Models created (pinned on their creator), interests
registered, documents posted and updated as events on 5101, and schema-breaking events that must
be refused. Drawn only where nodes serve HTTP (not on sim), with the same seeded RNG as the rest.

What is possible is asked of the model only: a document can be posted through a node where the
Model is surely available (its creator pins it; the node checks each document against it), and
updated only through the node it was posted to, while that node still holds it in its cache
(no restart since: a document is not pinned).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakenet.harness.network import Network

Step = dict

WEIGHTS = {"create_model": 4, "register_interest": 10, "post_events": 8, "update_events": 5, "post_invalid_events": 3}
# Steps after which a node's cache is empty: the documents posted through it are no longer held there.
RESTARTING = ("crash", "stop", "restart", "lose_identity", "restore_identity")


class EventSteps:
    def __init__(self, rng):
        self.rng = rng
        self.models: dict[str, str] = {}  # label -> Model stream id ("" until the step ran)
        self.interested: dict[str, set[str]] = {}  # model label -> nodes that registered an interest
        self.documents: dict[str, tuple[str, str]] = {}  # label -> (the node it was posted to, model label)
        self.posts = 0  # document labels are never reused: a label names the documents of one post

    def possible(self, name: str, net: Network) -> bool:
        checks = {"create_model": lambda: bool(net.up()), "register_interest": lambda: bool(self._uninterested(net)),
                  "post_events": lambda: bool(self._postable(net)), "update_events": lambda: bool(self._updatable(net)),
                  "post_invalid_events": lambda: bool(self._postable(net))}
        return checks[name]()

    def step(self, name: str, net: Network) -> Step:
        return getattr(self, f"_{name}")(net)

    def ran(self, step: Step, net: Network) -> None:
        """Before `step` runs: a node it restarts (heal restarts the crashed and re-keyed) drops its documents."""
        name = step if isinstance(step, str) else next(iter(step))
        if name == "heal":
            from fakenet.harness import faults

            restarted = {f.node for f in net.fleet.active if isinstance(f, (faults.Crash, faults.LoseIdentity))}
        else:
            restarted = {step[name]} if name in RESTARTING else set()
        self.documents = {label: (home, model) for label, (home, model) in self.documents.items()
                          if home not in restarted}

    # -- what is possible now --------------------------------------------------------------------

    def _uninterested(self, net) -> list[tuple[str, str]]:
        return [(label, node) for label in self.models for node in net.up()
                if node not in self.interested.setdefault(label, set())]

    def _postable(self, net) -> list[tuple[str, str]]:
        """(model label, node) where the Model is surely available: a post checks the document against it."""
        ready = {label: model for label, model in self.models.items() if model}
        predicted = net.oracle.model.availability_map(sorted(ready.values()), net.up())
        return [(label, node) for label, model in ready.items() for node in net.up() if predicted[(model, node)] is True]

    def _updatable(self, net) -> list[str]:
        return [label for label, (home, _) in self.documents.items() if home in net.up()]

    def _node(self, nodes) -> str:
        return self.rng.choice(sorted(nodes))

    # -- steps -----------------------------------------------------------------------------------

    def _create_model(self, net):
        label = f"m{len(self.models) + 1}"
        self.models[label] = ""  # the runner fills in the id once the step ran
        return {"create_model": {"on": self._node(net.up()), "as": label, "pin": True}}

    def _register_interest(self, net):
        """Several nodes at once, often: sync needs two interested nodes, the holder one of them."""
        label, _ = self.rng.choice(self._uninterested(net))
        candidates = sorted(node for candidate, node in self._uninterested(net) if candidate == label)
        nodes = sorted(self.rng.sample(candidates, self.rng.randint(1, len(candidates))))
        self.interested[label].update(nodes)
        return {"register_interest": {"on": nodes, "model": label}}

    def _post_events(self, net):
        postable = self._postable(net)
        interested = [(model, node) for model, node in postable if node in self.interested.get(model, ())]
        model, node = self.rng.choice(interested if interested and self.rng.random() < 0.7 else postable)
        self.posts += 1
        label = f"d{self.posts}"
        self.documents[label] = (node, model)
        return {"post_events": {"on": node, "model": model, "count": self.rng.randint(1, 3), "as": label}}

    def _update_events(self, net):
        label = self.rng.choice(self._updatable(net))
        return {"update_events": {"on": self.documents[label][0], "documents": label}}

    def _post_invalid_events(self, net):
        updatable = self._updatable(net)
        if updatable and self.rng.random() < 0.5:
            label = self.rng.choice(updatable)
            return {"post_invalid_events": {"on": self.documents[label][0], "documents": label}}
        model, node = self.rng.choice(self._postable(net))
        return {"post_invalid_events": {"on": node, "model": model}}
