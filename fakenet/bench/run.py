"""Run the figure groups in order; a group that fails past its own guards leaves one row saying why."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from fakenet.bench import ceramic, footprint, images, node_start, recovery, scale, sim, startup, streams, suite
from fakenet.bench.context import Context, sweep
from fakenet.bench.figure import Figure, spec
from fakenet.bench.guard import MEASUREMENT_ERRORS, reason

Group = Callable[[Context], Iterator[Figure]]

GROUPS: dict[str, Group] = {
    "image": images.figures,
    "node": node_start.figures,
    "start-up": startup.figures,
    "footprint": footprint.figures,
    "recovery": recovery.figures,
    "streams": streams.figures,
    "ceramic": ceramic.figures,
    "suite": suite.figures,
    "sim": sim.figures,
    "scale": scale.figures,
}


def failed(group: str, exc: BaseException) -> Figure:
    return spec(f"{group}.failed", group, "(the rest of this group)", "").not_measured(reason(exc))


def run_group(ctx: Context, name: str, group: Group) -> Iterator[Figure]:
    try:
        yield from group(ctx)
    except MEASUREMENT_ERRORS as exc:
        ctx.progress(f"{name}: failed: {exc}")
        yield failed(name, exc)
    finally:
        try:
            sweep(ctx)
        except MEASUREMENT_ERRORS as exc:  # a listing that raced another teardown: the next sweep retries
            ctx.progress(f"sweep after {name}: {reason(exc)}")


def run(ctx: Context, names: Iterable[str] = GROUPS) -> list[Figure]:
    return grouped([figure for name in names for figure in run_group(ctx, name, GROUPS[name])])


def grouped(figures: list[Figure]) -> list[Figure]:
    """Figures of one group together, groups in the order they first appeared (teardown after start-up)."""
    order: dict[str, int] = {}
    for figure in figures:
        order.setdefault(figure.group, len(order))
    return sorted(figures, key=lambda f: order[f.group])
