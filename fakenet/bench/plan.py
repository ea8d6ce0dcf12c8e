"""How much to measure: the full plan, and the quick one that fits in five minutes on two cores."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    quick: bool
    runs: int  # repetitions of a figure that costs a network start or a build
    cheap_runs: int  # repetitions of one that costs a second or less
    startup_sizes: tuple[int, ...]  # full-mesh start-ups, beside bare containers
    sparse_size: int  # the random-regular start-up (0: not measured)
    idle_window: float  # seconds a network sits untouched while its footprint is taken
    recovery_sizes: tuple[int, ...]
    stream_ops: int  # creates (and loads) per throughput run
    hop_loads: int  # 3-hop loads per latency run
    suite_workers: tuple[int, ...]  # pytest -n values for the scenario suite
    suite_backends: tuple[str, ...]
    suite_runs: int
    cold_runs: int  # builds with no layer cache (each about a minute)
    bootstrap: bool  # a cold build on a freshly bootstrapped base


FULL = Plan(quick=False, runs=3, cheap_runs=5, startup_sizes=(4, 16), sparse_size=64, idle_window=20.0,
            recovery_sizes=(4, 16), stream_ops=300, hop_loads=200, suite_workers=(1, 2),
            suite_backends=("docker", "local"), suite_runs=3, cold_runs=3, bootstrap=True)

QUICK = Plan(quick=True, runs=2, cheap_runs=3, startup_sizes=(4, 16), sparse_size=0, idle_window=5.0,
             recovery_sizes=(4, 16), stream_ops=100, hop_loads=60, suite_workers=(2,),
             suite_backends=("docker",), suite_runs=1, cold_runs=1, bootstrap=False)

# Why the quick plan leaves things out; each skipped figure says so in the table.
QUICK_SKIPS = {
    "bootstrap": "--quick: bootstrapping a Debian base from the apt mirror alone takes minutes; full run only",
    "sparse": "--quick: a 64-node network takes about a minute to start and a third of one to remove; full run only",
    "suite-n1": "--quick: the suite with -n 1 takes about twice the -n 2 time; full run only",
    "suite-local": "--quick: the local-backend suite is left to the full run to stay under five minutes",
}
