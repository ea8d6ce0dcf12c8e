"""`fake bench`'s ceramic group end to end on four local node processes, with a tiny backlog: the
group crashed (a TypeError past its guards) for as long as nothing ran it. No engine is needed:
the local backend takes neither the image nor the Docker client."""

import dataclasses

from fakenet.bench import ceramic
from fakenet.bench.context import Context
from fakenet.bench.plan import QUICK

# Not marked slow (about 5 s): a `-m "not slow"` run must still catch the group breaking.
BACKLOG = 20


def test_the_ceramic_group_measures_every_figure_on_local_nodes():
    plan = dataclasses.replace(QUICK, ceramic_backlog=BACKLOG, ceramic_runs=1, ceramic_backends=("local",))
    lines = []
    figures = list(ceramic.figures(Context(plan, client=None, image="", progress=lines.append)))
    assert {figure.key for figure in figures} == {f"ceramic.{kind}.local" for kind in
                                                  ("posts", "recon.per_peer", "recon.per_cpu", "recon.latency",
                                                   "recon.one_peer")}
    for figure in figures:
        assert figure.skipped == "" and len(figure.samples) == 1, (figure.key, figure.skipped, lines)
        assert figure.samples[0] > 0, figure
    assert any(line.startswith("ceramic (local) run 1:") for line in lines)
