"""A picture of the observed peer graph: up nodes green, isolated ones orange, down ones red;
observed links solid, links the topology wants but faults cut dashed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI machines
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

if TYPE_CHECKING:
    from fakenet.harness.fleet import Fleet

COLOURS = {"up": "#4caf50", "isolated": "#ff9800", "down": "#e53935"}


def node_states(topology: nx.Graph, observed: nx.Graph, down: set[str]) -> dict[str, str]:
    def state(name):
        if name in down:
            return "down"
        return "isolated" if observed.degree(name) == 0 and topology.degree(name) > 0 else "up"
    return {name: state(name) for name in topology}


def render(topology: nx.Graph, observed: nx.Graph, down: set[str], path, title: str = "") -> None:
    positions = nx.circular_layout(sorted(topology.nodes))
    states = node_states(topology, observed, down)
    figure, axes = plt.subplots(figsize=(6, 6))
    cut = [e for e in topology.edges if not observed.has_edge(*e)]
    nx.draw_networkx_edges(topology, positions, edgelist=cut, style="dashed", edge_color="#9e9e9e", ax=axes)
    nx.draw_networkx_edges(observed, positions, edge_color="#212121", width=2, ax=axes)
    nx.draw_networkx_nodes(topology, positions, node_color=[COLOURS[states[n]] for n in positions],
                           node_size=900, ax=axes)
    nx.draw_networkx_labels(topology, positions, font_size=9, ax=axes)
    axes.set_title(title or "observed peer graph (dashed: cut)")
    axes.axis("off")
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)


def draw(net: Fleet, path) -> None:
    observed = net.observed_graph()
    render(net.topology, observed, set(net.model.down), path,
           f"{len(observed.edges)} links observed, {len(net.model.expected_graph().edges)} expected")
