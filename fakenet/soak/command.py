"""`./fake soak`: runs one seed after another, prints each run's figures, stops at the first
disagreement (shrunk and written as a scenario file) and exits non-zero."""

from __future__ import annotations

import itertools
import time

from rich.console import Console

from fakenet import invocation, terminal
from fakenet.errors import FakenetError
from fakenet.soak.runner import soak, write
from fakenet.soak.shrink import shrink

GOAL = 0.9  # of the repo's mutants the soak must kill (issue 25)


def main(args) -> int:
    console = terminal.console(highlight=False)  # piped output is never wrapped (README)
    if args.mutants is not None:
        return mutants_main(args.mutants, console, args.jobs)
    started = time.monotonic()
    totals = {"runs": 0, "steps": 0, "pairs": 0, "events": 0, "checks": 0}
    seeds = itertools.count(args.seed) if args.runs == 0 else range(args.seed, args.seed + args.runs)
    for seed in seeds:
        if args.seconds is not None and time.monotonic() - started > args.seconds:
            break
        result = soak(seed, args.steps, args.backend, min_nodes=args.min_nodes, max_nodes=args.max_nodes,
                      progress=lambda text: console.print(text, markup=False))  # names may hold [brackets]
        for key, value in (("runs", 1), ("steps", len(result.steps)), ("pairs", result.pairs),
                           ("events", result.events), ("checks", result.checks)):
            totals[key] += value
        console.print(f"seed {seed}: {len(result.steps)} steps, {result.pairs} (stream, node) pairs, "
                      f"{result.events} (node, event) pairs, {result.checks} checks, {result.seconds:.0f}s: " + ("[green]agrees[/]" if result.ok else "[red]disagrees[/]"))
        if not result.ok:
            console.print(result.failure, markup=False)
            if not args.no_shrink:
                result = shrink(result, args.backend, progress=lambda text: console.print(text, markup=False))
            path = write(result, args.out)
            console.print(f"counterexample ({len(result.steps)} steps): {path}")
            console.print(f"replay: {invocation.command()} scenario run {path} --backend {args.backend}", markup=False)
            return 1
    runs = f"{totals['runs']} run" + ("" if totals["runs"] == 1 else "s")
    console.print(f"{runs}, {totals['steps']} steps, {totals['pairs']} (stream, node) pairs, "
                  f"{totals['events']} (node, event) pairs and {totals['checks']} checks compared in {time.monotonic() - started:.0f}s: the model agreed")
    return 0


def mutants_main(names: list[str], console: Console, jobs: int = 1) -> int:
    """`./fake soak --mutants [NAME …]`: the kill rate; exits 1 below the goal (GOAL)."""
    from fakenet.soak import mutation
    from fakenet.soak.mutants import MUTANTS

    known = {m.name: m for m in MUTANTS}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise FakenetError(f"no mutant named {', '.join(unknown)} (known: {', '.join(known)})")
    chosen = [known[n] for n in names] if names else list(MUTANTS)
    for backend in sorted({m.backend for m in chosen}):
        seeds, steps, _ = mutation.plan(backend)
        count = sum(m.backend == backend for m in chosen)
        console.print(f"{count} mutants, seeds {seeds[0]}-{seeds[-1]} × {steps} steps on {backend}, "
                      f"at most {mutation.BUDGET:g} CPU seconds each", markup=False)

    def show(outcome) -> None:
        name = outcome.mutant.name if outcome.mutant else f"(unpatched model, {outcome.backend})"
        console.print(f"{outcome.verdict:9s} {outcome.seconds:5.0f} CPU s  {name:34s} {outcome.detail}", markup=False,
                      soft_wrap=True)

    outcomes = mutation.run_all(chosen, progress=show, jobs=jobs)
    killed = sum(o.killed for o in outcomes)
    rate = killed / len(outcomes)
    console.print(f"killed {killed} of {len(outcomes)} ({rate:.0%}); survivors: "
                  f"{', '.join(o.mutant.name for o in outcomes if not o.killed) or 'none'}", markup=False)
    return 0 if rate >= GOAL else 1
