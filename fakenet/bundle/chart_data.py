"""What the bundle's pictures show, without drawing them (charts.py draws; it imports matplotlib,
~0.4 s of CPU that a process reading these need not pay)."""

from __future__ import annotations


def fault_bands(events, end: float) -> list[tuple[str, float, float]]:
    """(fault, from, to) for each applied fault; one never undone lasts to the end, one that is
    over at once (a restart) is a sliver."""
    bands, open_faults = [], []
    for event in events:
        if event.kind == "apply":
            open_faults.append(event)
        elif event.kind == "undo":
            match = next((a for a in open_faults if a.what.split(" via ")[0] == event.what), None)
            if match is not None:
                open_faults.remove(match)
                bands.append((match.what, match.at, event.at))
    bands += [(a.what, a.at, end) for a in open_faults]
    return sorted(bands, key=lambda band: band[1])


CELLS = [("available, as predicted", "#81c784"), ("unavailable, as predicted", "#e0e0e0"),
         ("predicted available, observed unavailable", "#e53935"),
         ("predicted unavailable, observed available", "#fb8c00"), ("open or not observed", "#ffffff")]


def cell(predicted: bool | None, observed: bool | None) -> int:
    """The index in CELLS of a node's (predicted, observed) availability at a step."""
    if predicted is None or observed is None:
        return 4
    if predicted == observed:
        return 0 if predicted else 1
    return 2 if predicted else 3
