"""What a bundle is made of, and the Recorder that collects it while a network runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import networkx as nx

from fakenet.bundle import manifest
from fakenet.bundle.evidence import Edge, Evidence, Snapshot, gather, snapshot
from fakenet.bundle.verdict import Verdict
from fakenet.errors import FakenetError
from fakenet.harness.timeline import Event


@dataclass
class StepRow:
    number: int
    line: int | None
    source: str
    status: str  # passed, failed, skipped
    seconds: float = 0.0
    error: str = ""
    snapshot: Snapshot | None = None


@dataclass
class Bundle:
    title: str  # the scenario's name, or the test's id
    backend: str
    kind: str
    seed: int
    names: list[str]
    topology: list[Edge]
    verdict: Verdict
    replay: str = ""
    failure: str = ""  # the first failure explained in words
    failure_data: dict = field(default_factory=dict)  # its expected / observed / difference
    steps: list[StepRow] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)
    facts: dict = field(default_factory=dict)  # image, versions, settings (manifest.facts)
    seconds: float = 0.0
    description: str = ""
    scenario_path: str = ""  # the scenario file that ran, and its text as it was (copied into the bundle)
    scenario_text: str = ""
    # False for `fake dump`: it attaches to a network the harness did not drive, so the model
    # knows none of its history (mines, writes, faults) and its "predictions" would read as a
    # disagreement; such a bundle shows what was observed only, with no failure.json.
    predicted: bool = True


class Recorder:
    """Handed to a run: a snapshot after every step, and the evidence when something fails —
    taken before the network closes, since a closed network's logs and data dirs are gone."""

    def __init__(self):
        self.snapshots: dict[int, Snapshot] = {}
        self.evidence = Evidence()
        self.facts: dict = {}

    def step(self, net, index: int) -> None:
        self.facts = self.facts or manifest.facts(net)
        try:
            self.snapshots[index] = snapshot(net)
        except FakenetError as exc:  # a snapshot is evidence, never a reason for a run to fail
            self.evidence.problems.append(f"snapshot after step {index + 1}: {exc}")

    def collect(self, net, failure: BaseException | None) -> None:
        self.facts = manifest.facts(net)
        problems = self.evidence.problems
        self.evidence = gather(net, failure)
        self.evidence.problems[:0] = problems


def jsonable(value):
    """Expectation data as JSON: graphs as edge lists, (stream, node) keys as "stream@node", sets sorted."""
    if isinstance(value, nx.Graph):
        return {"nodes": sorted(value.nodes), "edges": sorted(sorted(e) for e in value.edges)}
    if isinstance(value, dict):
        return {(("@".join(map(str, k))) if isinstance(k, tuple) else str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
