"""`net.oracle`: what the model predicts and the checks that compare it with the nodes.

Every expectation waits (to a deadline) until what the nodes report matches what the model
predicts, and raises ExpectationFailed saying why. The model itself is `oracle.model`; the
record of faults and checks is `oracle.timeline`.
"""

from __future__ import annotations

import networkx as nx

from fakenet import durations
from fakenet.errors import ConfigError, ExpectationFailed
from fakenet.harness import clock, cluster, expect
from fakenet.harness.fleet import Fleet
from fakenet.harness.model import NetworkModel
from fakenet.harness.timeline import Timeline
from fakenet.kinds import CHAIN


class Oracle:
    def __init__(self, fleet: Fleet):
        self._fleet = fleet

    @property
    def model(self) -> NetworkModel | None:
        return self._fleet.model

    @property
    def timeline(self) -> Timeline:
        return self._fleet.timeline

    # -- predictions and observations ------------------------------------------------------------

    def expected_graph(self) -> nx.Graph:
        return self.model.expected_graph()

    def observed_graph(self) -> nx.Graph:
        return self._fleet.observed_graph()

    def holders(self, stream_id: str) -> set[str]:
        return self.model.holders(stream_id)

    # -- checks ----------------------------------------------------------------------------------

    def expect_graph(self, timeout: float | str = 20.0) -> float:
        return expect.graph(self._fleet, _seconds(timeout, "timeout"))

    def expect_available(self, streams=None, nodes=None) -> None:
        expect.availability(self._fleet, streams, nodes, want=True)

    def expect_unavailable(self, streams=None, nodes=None) -> None:
        expect.availability(self._fleet, streams, nodes, want=False)

    def expect_availability(self, streams=None, nodes=None) -> dict:
        """Every (stream, node) pair as predicted, available or not."""
        return expect.availability(self._fleet, streams, nodes, want=None)

    def expect_holders(self, streams=None) -> None:
        expect.holders(self._fleet, streams)

    def expect_converged(self, timeout: float | str = 20.0) -> float:
        return expect.converged(self._fleet, _seconds(timeout, "timeout"))

    def expect_tip(self, within: float | str = 20.0) -> float:
        """Every up node on the tip the model predicts (forks, partitions and heals included)."""
        return expect.tips(self._fleet, _seconds(within, "within"))

    def expect_reorg(self, nodes=None, within: float | str = 20.0) -> dict:
        """Nodes that switched branches show the abandoned one in getchaintips with the predicted depth."""
        return expect.reorgs(self._fleet, [nodes] if isinstance(nodes, str) else nodes, _seconds(within, "within"))

    def expect_allocations(self, within: float | str = 20.0) -> float:
        return cluster.expect_allocations(self._fleet, _seconds(within, "within"))

    def expect_replicated(self, streams: list[str], minimum: int) -> None:
        cluster.expect_replicated(self._fleet, streams, minimum)

    def expect_recovered(self, within: float | str = 20.0) -> float:
        """Wait for the expected graph and chain convergence; return the seconds it took."""
        within = _seconds(within, "within")
        started = clock.monotonic()
        try:
            self.expect_graph(timeout=within)
            if CHAIN in self._fleet.kind.capabilities:
                self.expect_converged(timeout=max(0.5, within - (clock.monotonic() - started)))
        except ExpectationFailed as exc:
            raise ExpectationFailed(f"not recovered within {within:g}s: {exc}", expected=exc.expected,
                                    observed=exc.observed, difference=exc.difference) from exc
        took = clock.monotonic() - started
        self.timeline.record("recovered", f"graph and chain in {took:.2f}s", took)
        return took

    def draw(self, path) -> None:
        """A picture of the observed peer graph (fakenet.harness.draw)."""
        from fakenet.harness.draw import draw  # matplotlib loads only for pictures

        draw(self._fleet, path)


def _seconds(value, name: str) -> float:
    """A check's deadline as the scenario files write it too (10, "10s", "500ms", "2m"); anything else is
    the caller's mistake, said in one line (it was a TypeError deep in the wait)."""
    try:
        return durations.seconds(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r}: {exc}") from None
