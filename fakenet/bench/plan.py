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
    recovery_backends: tuple[str, ...]
    stream_ops: int  # creates (and loads) per throughput run
    hop_loads: int  # 3-hop loads per latency run
    suite_workers: tuple[int, ...]  # pytest -n values for the scenario suite
    suite_backends: tuple[str, ...]
    suite_runs: int
    build_runs: int  # image builds per build figure (a cold one takes about a minute)
    bootstrap: bool  # a cold build on a freshly bootstrapped base
    sim_sizes: tuple[int, ...] = (100, 1000, 10000)  # sim networks (random-regular), each in a fresh process
    # Interest sync (ceramic.py): events one node holds before its peers take them in by Recon,
    # enough that the round trip to the first round is a small part of the intake it times.
    ceramic_backlog: int = 5000
    ceramic_runs: int = 3
    ceramic_backends: tuple[str, ...] = ("docker", "local")
    # Rounds of each start-up size (bare, `up`, the harness backends, one after another). Three even in
    # --quick: the 4-node ratio's figure is the median of the rounds' ratios, and a median of two is
    # their mean, which one slow round moves (rounds of the same code ranged 1.14-1.86x, 2026-12-07).
    startup_runs: int = 3
    large_idle: bool = True  # the idle footprint of a 64-node local network, cluster on and off


FULL = Plan(quick=False, runs=3, cheap_runs=5, startup_sizes=(4, 16), sparse_size=64, idle_window=20.0,
            recovery_sizes=(4, 16), recovery_backends=("docker", "local"), stream_ops=300, hop_loads=200,
            suite_workers=(1, 2),
            suite_backends=("docker", "local"), suite_runs=3, build_runs=3, bootstrap=True)

QUICK = Plan(quick=True, runs=2, cheap_runs=2, startup_sizes=(4,), sparse_size=0, idle_window=5.0,
             recovery_sizes=(4, 16), recovery_backends=("docker",), stream_ops=100, hop_loads=60, suite_workers=(2,),
             suite_backends=("docker",), suite_runs=1, build_runs=1, bootstrap=False, sim_sizes=(100,),
             ceramic_backlog=2000, ceramic_runs=1, large_idle=False)

# Why the quick plan leaves things out; each skipped figure says so in the table.
QUICK_SKIPS = {
    "bootstrap": "--quick: full run only (the bootstrap alone takes minutes)",
    "startup-16": "--quick: full run only (about a minute per run)",
    "sparse": "--quick: full run only (about 90 s per run)",
    "recovery-local": "--quick: full run only",
    "suite-n1": "--quick: full run only (twice the -n 2 time)",
    "suite-local": "--quick: full run only",
    "idle-64": "--quick: full run only (two 64-node networks, each idle for the full window)",
}
