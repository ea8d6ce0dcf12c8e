"""Model-based testing of the oracle: random topologies and random fault and stream sequences,
the model's predictions compared with the real network after every step.

    actions.py   the next random step, chosen from what the model says is possible now
    event_actions.py  ceramic-one's steps among them (Models, interests, events), where nodes serve HTTP
    runner.py    one run: network, steps, checks; a disagreement becomes a scenario file
    shrink.py    the smallest step list that still disagrees (replayed as scenarios)

`./fake soak --seed S --steps N --backend B` runs it; a counterexample replays with
`./fake scenario run <file>`.
"""

from fakenet.soak.runner import SoakResult, soak

__all__ = ["SoakResult", "soak"]
