"""The bench's two outputs: a rich table for the terminal and a JSON document for machines.

JSON shape (version 1):

    {"fakenet_bench": 1, "command": "./fake bench --quick", "quick": true, "seconds": 281.4,
     "machine": {...}, "image": "fakenet-node:…",
     "figures": [{"key": "startup.compose.4", "group": "start-up", "label": "…", "unit": "s",
                  "median": 4.1, "min": 3.9, "max": 4.6, "n": 3, "samples": [...],
                  "goal": 3.0, "status": "missed", "note": "…", "skipped": ""}, …]}

"goal" is an upper bound on the median unless the figure says "goal_at_least": true (a rate's floor).

A figure that was not measured has "skipped" set to the reason and no median/min/max.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path
from typing import Iterable

from fakenet.bench.figure import Figure

VERSION = 1
COLUMNS = ("", "figure", "median", "min", "max", "n", "goal", "note")
# Under the table, for a reader who has not read this module: which way is better is the goal's sign.
LEGEND = ("median, min and max are over the n rounds of this run. goal: `≤` is a ceiling on the median "
          "(lower is better), `≥` a floor (higher is better), then whether the median met it. "
          "`×` rows divide a start by the bare containers (the engine's floor) started in the same round.")


def number(value: float) -> str:
    """Three significant digits or so, never scientific notation."""
    size = abs(value)
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}" if size >= 0.01 else f"{value:.4f}"


def with_unit(value: float, unit: str) -> str:
    return number(value) + ("×" if unit == "×" else f" {unit}")


def goal_text(figure: Figure) -> str:
    if figure.goal is None:
        return ""
    bound = f"{'≥' if figure.at_least else '≤'} {with_unit(figure.goal, figure.unit)}"
    return f"{bound} {figure.status}" if figure.status else bound


def row(figure: Figure) -> tuple[str, ...]:
    """The table cells of one figure (without the group column)."""
    summary = figure.summary
    if summary is None:
        return figure.label, "—", "", "", "", goal_text(figure), f"not measured: {figure.skipped}"
    cells = (with_unit(summary.median, figure.unit), with_unit(summary.low, figure.unit),
             with_unit(summary.high, figure.unit))
    return figure.label, *cells, str(summary.runs), goal_text(figure), figure.note


def table(figures: Iterable[Figure], title: str = "fakenet bench"):
    from rich.table import Table

    result = Table(title=title, title_justify="left", show_lines=False)
    for column in COLUMNS:
        result.add_column(column, justify="right" if column in ("median", "min", "max", "n") else "left",
                          overflow="fold")
    for index, (group, members) in enumerate(groupby(figures, key=lambda f: f.group)):
        if index:
            result.add_section()
        for position, figure in enumerate(members):
            style = "red" if figure.status == "missed" else ("dim" if figure.summary is None else None)
            result.add_row(group if position == 0 else "", *row(figure), style=style)
    return result


def markdown(figures: Iterable[Figure]) -> str:
    """The same table as GitHub markdown (for BENCHMARKS.md)."""
    lines = ["| " + " | ".join(c or "group" for c in COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for group, members in groupby(figures, key=lambda f: f.group):
        for position, figure in enumerate(members):
            cells = (group if position == 0 else "", *row(figure))
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def figure_json(figure: Figure) -> dict:
    summary = figure.summary
    numbers = {"median": summary.median, "min": summary.low, "max": summary.high, "n": summary.runs} \
        if summary else {"median": None, "min": None, "max": None, "n": 0}
    return {"key": figure.key, "group": figure.group, "label": figure.label, "unit": figure.unit, **numbers,
            "samples": list(figure.samples), "goal": figure.goal, "status": figure.status, "note": figure.note,
            "skipped": figure.skipped, **({"goal_at_least": True} if figure.at_least else {}),
            **({"extra": figure.extra} if figure.extra else {})}


def document(figures: Iterable[Figure], **meta) -> dict:
    return {"fakenet_bench": VERSION, **meta, "figures": [figure_json(f) for f in figures]}


def write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
