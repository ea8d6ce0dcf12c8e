"""The bundle's pictures, as PNG bytes: the timeline with fault bands and recoveries (as in Jepsen's
perf graphs), predicted vs observed graph per step, and the availability heatmap."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI machines
import matplotlib.lines as mlines  # noqa: E402
import matplotlib.patches as mpatches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

from fakenet.bundle.chart_data import CELLS, cell, fault_bands  # noqa: E402
from fakenet.bundle.evidence import Availability, Snapshot  # noqa: E402
from fakenet.harness.short_ids import shortest_unique  # noqa: E402
from fakenet.naming import natural  # noqa: E402

DPI = 72  # small files: a 16-node bundle has a picture per step
UP, DOWN, HOLDER = "#66bb6a", "#9e9e9e", "#1565c0"  # down is grey: red means "differs from the model"
WRONG = "#e53935"
MINE, HEAL = "#6d4c41", "#2e7d32"


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


# -- timeline ----------------------------------------------------------------------------------------

def timeline(events, end: float, failed_at: float | None = None) -> bytes:
    bands = fault_bands(events, end)
    rows = max(1, len(bands))
    figure, axes = plt.subplots(figsize=(9, 1.4 + 0.32 * rows))
    for row, (what, start, stop) in enumerate(bands):
        axes.barh(row, max(stop - start, end * 0.004), left=start, height=0.6, color="#ffcc80", edgecolor="#ef6c00")
        axes.text(start, row, f" {what[:60]}", va="center", fontsize=8)
    for event in events:
        if event.kind == "mine":
            axes.plot([event.at], [-0.9], marker="^", color=MINE, markersize=8)
            axes.annotate(f"mined {event.what}", (event.at, -0.9), fontsize=7, color=MINE, xytext=(0, 6),
                          textcoords="offset points", ha="center")
        elif event.kind == "undo":
            axes.axvline(event.at, color=HEAL, linewidth=1, linestyle=":")
        elif event.kind == "recovered":
            axes.axvspan(event.at - event.took, event.at, color="#a5d6a7", alpha=0.5)
            axes.annotate(f"recovered in {event.took:.2f}s", (event.at, rows - 0.4), fontsize=8, color="#2e7d32",
                          ha="right")
        elif event.kind == "expect":
            axes.plot([event.at], [-0.9], marker="|", color="#424242", markersize=10)
    if failed_at is not None:
        axes.axvline(failed_at, color=WRONG, linewidth=2)
        axes.annotate("failed", (failed_at, -0.9), color=WRONG, fontsize=9, xytext=(4, 0), textcoords="offset points")
    axes.set_yticks([-0.9], ["expectations, mines"], fontsize=8)
    axes.set_ylim(-1.5, rows)
    axes.set_xlim(0, max(end, 0.1) * 1.02)
    axes.set_xlabel("seconds since the network was up")
    axes.set_title("faults (bands), heals (dotted green), recoveries (green), expectations met (ticks), "
                   "blocks mined (triangles)", fontsize=9)
    return _png(figure)


# -- graphs ------------------------------------------------------------------------------------------

def step_graph(names: list[str], topology, snap: Snapshot, focus: list[str], title: str = "") -> bytes:
    """Predicted (left) and observed (right): links faults cut dashed grey, links to down nodes
    dotted, missing links red dashed, unexpected links orange; down nodes grey and labelled down;
    holders of the failing streams ringed blue. The legend below says the same."""
    positions = nx.circular_layout(sorted(names, key=natural))
    holders = {n for stream in focus for n in snap.holders.get(stream, [])}
    expected, observed = {tuple(e) for e in snap.expected}, {tuple(e) for e in snap.observed}
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 4.4))
    graph = nx.Graph()
    graph.add_nodes_from(names)
    lost = sorted({tuple(sorted(e)) for e in topology} - expected - {tuple(e) for e in snap.cut})
    layers = [(left, "predicted", [(lost, "dotted", "#bdbdbd", 1), (snap.cut, "dashed", "#9e9e9e", 1),
                                   (sorted(expected), "solid", "#212121", 2)]),
              (right, "observed", [(sorted(expected - observed), "dashed", WRONG, 2),
                                   (sorted(observed & expected), "solid", "#212121", 2),
                                   (sorted(observed - expected), "solid", "#fb8c00", 2)])]
    for axes, label, edge_layers in layers:
        for edges, style, colour, width in edge_layers:
            nx.draw_networkx_edges(graph, positions, edgelist=edges, style=style, edge_color=colour, width=width, ax=axes)
        nx.draw_networkx_nodes(graph, positions, ax=axes, node_size=420 if len(names) <= 8 else 260,
                               node_color=[DOWN if n in snap.down else UP for n in positions],
                               edgecolors=[HOLDER if n in holders else "#ffffff" for n in positions],
                               linewidths=[3 if n in holders else 1 for n in positions])
        labels = {n: f"{n}\n(down)" if n in snap.down else n for n in positions}
        nx.draw_networkx_labels(graph, positions, labels, font_size=10 if len(names) <= 8 else 8, ax=axes)
        axes.set_title(f"{label}: {len(expected if label == 'predicted' else observed)} links", fontsize=9)
        axes.margins(0.18)  # room for the labels of nodes on the circle's edge
        axes.axis("off")
    if title:
        figure.suptitle(title[:100], fontsize=10)
    figure.legend(handles=GRAPH_LEGEND, loc="lower center", ncol=4, fontsize=8, frameon=False,
                  bbox_to_anchor=(0.5, -0.12))
    return _png(figure)


GRAPH_LEGEND = [mlines.Line2D([], [], color="#212121", linewidth=2, label="link, as predicted"),
                mlines.Line2D([], [], color="#9e9e9e", linestyle="dashed", label="cut by a fault"),
                mlines.Line2D([], [], color="#bdbdbd", linestyle="dotted", label="to a down node"),
                mlines.Line2D([], [], color=WRONG, linestyle="dashed", linewidth=2, label="predicted, not observed"),
                mlines.Line2D([], [], color="#fb8c00", linewidth=2, label="observed, not predicted"),
                mpatches.Patch(color=UP, label="node up"), mpatches.Patch(color=DOWN, label="node down"),
                mpatches.Patch(facecolor="white", edgecolor=HOLDER, linewidth=2, label="holds a failing stream")]


# -- availability ------------------------------------------------------------------------------------

def heatmap(availability: Availability) -> bytes:
    from matplotlib.colors import ListedColormap

    nodes = sorted(availability.nodes, key=natural)
    grid = [[cell(availability.predicted.get((s, n)), availability.observed.get((s, n))) for n in nodes]
            for s in availability.streams]
    figure, axes = plt.subplots(figsize=(min(9, 1.5 + 0.5 * len(nodes)), 1.6 + 0.35 * len(grid)))
    axes.imshow(grid, cmap=ListedColormap([colour for _, colour in CELLS]), vmin=0, vmax=len(CELLS) - 1,
                aspect="auto")
    axes.set_xticks(range(len(nodes)), nodes, rotation=60, fontsize=8)
    short = shortest_unique(availability.streams)
    axes.set_yticks(range(len(grid)), [short[s] for s in availability.streams], fontsize=8)
    axes.set_xticks([x - 0.5 for x in range(1, len(nodes))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(grid))], minor=True)
    axes.grid(which="minor", color="#9e9e9e", linewidth=0.5)
    axes.legend(handles=[mpatches.Patch(facecolor=c, edgecolor="#9e9e9e", label=l) for l, c in CELLS],
                loc="upper left", bbox_to_anchor=(0, -0.25), fontsize=7, ncol=2, frameon=False)
    axes.set_title("availability of the failing streams (stream × node)", fontsize=9)
    return _png(figure)
