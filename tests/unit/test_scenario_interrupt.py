"""Ctrl-C while a network starts: what the backend had begun to make is closed before the interrupt
goes on, in `fake scenario run` and in the pytest fixture (`fake scenario run --backend docker`
interrupted while its nodes started left their containers, network and volumes in the engine, after
saying it was cleaning up)."""

import pytest

from fakenet.harness.network import Network
from fakenet.scenario import parse, runner


@pytest.fixture
def closed(monkeypatch) -> list:
    """Network.start interrupted as if by Ctrl-C; the networks closed, listed (and still closed for real:
    a sim network left open keeps its virtual clock installed)."""
    seen = []

    def interrupted_start(net):
        raise KeyboardInterrupt

    monkeypatch.setattr(Network, "start", interrupted_start)
    close = Network.close
    monkeypatch.setattr(Network, "close", lambda net: seen.append(net) or close(net))
    return seen


def test_an_interrupt_while_the_nodes_start_closes_what_was_made(closed):
    scenario = parse("name: x\nsteps:\n  - crash: node\n", "x.yaml")
    with pytest.raises(KeyboardInterrupt):
        runner.run(scenario, "sim")
    assert len(closed) == 1


def test_the_pytest_fixture_closes_its_network_when_interrupted_while_it_starts(closed):
    from types import SimpleNamespace

    from fakenet import pytest_plugin

    config = SimpleNamespace(getoption=lambda name: None)
    request = SimpleNamespace(param="sim", config=config, node=SimpleNamespace(get_closest_marker=lambda name: None))
    with pytest.raises(KeyboardInterrupt):
        next(pytest_plugin.fakenet_network.__wrapped__(request))
    assert len(closed) == 1
