"""One benchmark figure: what was measured, its samples, the goal it is held to, or why it was not measured."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fakenet.bench.stats import Summary, summarise

# A ratio to the bare floor is taken within each round (both starts under the same load on a shared
# machine); its figure is the median of those, which is not the ratio of the two medians.
RATIO_NOTE = "median of per-round ratios, each to its own round's bare start"


@dataclass(frozen=True)
class Figure:
    key: str  # stable id in the JSON, e.g. "startup.compose.4"
    group: str  # the table section: "image", "start-up", …
    label: str  # what a reader sees
    unit: str  # "s", "MB", "%", "×", "/s", "ms"
    samples: tuple[float, ...] = ()
    goal: float | None = None  # the goal, as an upper bound on the median (a lower one with at_least)
    note: str = ""
    skipped: str = ""  # why there are no samples
    extra: dict = field(default_factory=dict, compare=False)  # e.g. the per-run raw values behind a ratio
    at_least: bool = False  # a rate: the goal is a floor the median must reach

    @property
    def summary(self) -> Summary | None:
        return summarise(self.samples) if self.samples else None

    @property
    def status(self) -> str:
        """"met" / "missed" against the goal, "" when there is no goal or no measurement."""
        if self.goal is None or not self.samples:
            return ""
        median = self.summary.median
        return "met" if (median >= self.goal if self.at_least else median <= self.goal) else "missed"

    def with_samples(self, samples, note: str | None = None) -> Figure:
        return replace(self, samples=tuple(float(s) for s in samples), note=self.note if note is None else note)

    def not_measured(self, reason: str) -> Figure:
        return replace(self, samples=(), skipped=reason)


def spec(key: str, group: str, label: str, unit: str, goal: float | None = None, note: str = "",
         at_least: bool = False, extra: dict | None = None) -> Figure:
    """A figure before it is measured; `at_least` makes the goal a floor (rates: events/s)."""
    return Figure(key, group, label, unit, goal=goal, note=note, at_least=at_least, extra=dict(extra or {}))
