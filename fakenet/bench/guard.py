"""A measurement that fails says so in its figures' rows instead of ending the bench.

The machine is shared: another user's prune can remove an image mid-build, a busy engine can
time out. Such failures become "not measured: failed: …" for the figures of that one unit;
anything that is not one of them is a bug and propagates.
"""

from __future__ import annotations

import subprocess
from typing import Callable, Iterable, Iterator

import docker.errors

from fakenet.bench.figure import Figure
from fakenet.errors import FakenetError

MEASUREMENT_ERRORS = (FakenetError, docker.errors.DockerException, AssertionError, subprocess.TimeoutExpired)


def reason(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"failed: {type(exc).__name__}: {first}"


def guarded(specs: Iterable[Figure], produce: Callable[[], Iterable[Figure]],
            progress: Callable[[str], None] = lambda line: None) -> list[Figure]:
    """The figures `produce()` measured or, if it failed, every spec marked not measured with the reason."""
    specs = list(specs)
    try:
        return list(produce())
    except MEASUREMENT_ERRORS as exc:
        # The row gets one line; the progress stream the whole error (what was expected, what was
        # observed, the nodes' last log lines), or a failure on a shared machine cannot be explained.
        progress(f"{', '.join(s.key for s in specs)}: failed: {type(exc).__name__}: {str(exc).strip()}")
        return [s.not_measured(reason(exc)) for s in specs]


def per_backend(ctx, specs_for: Callable, measure: Callable, backends=("docker", "local")) -> Iterator[Figure]:
    """Each backend's figures, guarded: `specs_for(ctx, backend)` names the specs by series and
    `measure(ctx, backend)` gives the samples by the same series (measured once per backend)."""
    for backend in backends:
        specs = specs_for(ctx, backend)

        def measured(backend=backend, specs=specs) -> list[Figure]:
            seen = measure(ctx, backend)
            return [figure.with_samples(seen[series]) for series, figure in specs.items()]

        yield from guarded(specs.values(), measured, ctx.progress)
