"""Swarm's re-dial back-off: 0.1 s doubling to the cap, plus up to 0.1 s of jitter from the random
module (the sim seeds it, so a simulated network re-dials at the same moments every run)."""

import random

from fakenet.node.swarm import redial_wait


def test_the_wait_doubles_from_a_tenth_to_the_cap_plus_jitter_below_a_tenth():
    random.seed(1)
    waits = [redial_wait(n, cap=0.5) for n in range(1, 7)]
    floors = [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert all(f <= w < f + 0.1 for w, f in zip(waits, floors)), f"expected {floors} (+ <0.1), got {waits}"
    assert redial_wait(10_000, cap=0.5) < 0.6  # no overflow however long a peer stays down


def test_the_jitter_is_one_draw_of_the_seeded_module_rng():
    random.seed(7)
    first = [redial_wait(1, cap=0.5) for _ in range(3)]
    random.seed(7)
    assert [0.1 + random.random() * 0.1 for _ in range(3)] == first
