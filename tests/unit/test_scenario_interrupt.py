"""Ctrl-C during a scenario run's start-up: the network the backend had begun to make is closed before
the interrupt goes on (`fake scenario run --backend docker` interrupted while its nodes started left
their containers, network and volumes in the engine, after saying it was cleaning up)."""

import pytest

from fakenet.harness.network import Network
from fakenet.scenario import parse, runner


def test_an_interrupt_while_the_nodes_start_closes_what_was_made(monkeypatch):
    closed = []

    def interrupted_start(net):
        raise KeyboardInterrupt

    monkeypatch.setattr(Network, "start", interrupted_start)
    monkeypatch.setattr(Network, "close", lambda net: closed.append(net))
    scenario = parse("name: x\nsteps:\n  - crash: node\n", "x.yaml")
    with pytest.raises(KeyboardInterrupt):
        runner.run(scenario, "sim")
    assert len(closed) == 1
