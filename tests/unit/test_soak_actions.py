"""The soak chooser draws every kind of step, only ones the model allows, and replays from a seed."""

from fakenet.harness.network import Network
from fakenet.soak.actions import WEIGHTS, Chooser
from support.fake_backend import FakeBackend, FakeKind


def _draws(seed, count, can_pause=True):
    kind = FakeKind()
    backend = FakeBackend(kind)
    backend.can_pause = can_pause
    net = Network(6, backend=backend, kind=kind, topology="ring")
    net.start()
    chooser, seen = Chooser(seed), []
    try:
        for _ in range(count):
            step = chooser.next(net)
            seen.append(step)
            name = step if isinstance(step, str) else next(iter(step))
            if name == "crash":
                net.crash(step["crash"])
            elif name == "start":
                net.undo_latest(step["start"], type(net.fleet.active[0]))
            elif name == "heal":
                net.heal()
    finally:
        net.close()
    return seen


def test_same_seed_same_steps():
    assert _draws(5, 40) == _draws(5, 40)


def test_faults_are_drawn_only_when_possible():
    steps = _draws(9, 200)
    names = {s if isinstance(s, str) else next(iter(s)) for s in steps}
    # The fake kind has no streams, but the chooser asks the model only: stream steps may still be
    # drawn (create); what needs an earlier fault (start, heal) only follows one.
    assert {"crash", "partition", "cut_link", "cut_one_way", "degrade", "isolate"} <= names
    assert set(WEIGHTS) >= {"create", "heal", "start"}


def test_pauses_are_drawn_only_where_the_backend_can_pause():
    names = lambda steps: {s if isinstance(s, str) else next(iter(s)) for s in steps}
    assert "pause" in names(_draws(9, 200))
    assert "pause" not in names(_draws(9, 200, can_pause=False))  # sim: one process cannot freeze one node


def test_soak_progress_prints_bracketed_steps_as_written(monkeypatch, capsys):
    """rich read `[[node, node2], [node3]]` as markup and printed nothing of it."""
    from types import SimpleNamespace

    from fakenet.soak import command
    from fakenet.soak.runner import SoakResult

    def fake_soak(seed, steps, backend, progress, **_):
        progress("    1. partition: [[node, node2], [node3, node4]]")
        return SoakResult(seed, 4, "line", backend)

    monkeypatch.setattr(command, "soak", fake_soak)
    args = SimpleNamespace(mutants=None, seed=1, runs=1, seconds=None, steps=1, backend="sim", min_nodes=4,
                           max_nodes=4, no_shrink=True, out=None)
    assert command.main(args) == 0
    assert "partition: [[node, node2], [node3, node4]]" in capsys.readouterr().out


def _event_draws(seed, count):
    """Draws with ceramic-one's steps, the runner's part played here: a Model's id once created (and
    pinned on its creator, as the step does), restarts as the steps say."""
    kind = FakeKind()
    net = Network(5, backend=FakeBackend(kind), kind=kind, topology="ring")
    net.start()
    chooser, seen = Chooser(seed, events=True), []
    try:
        for _ in range(count):
            step = chooser.next(net)
            seen.append(step)
            name = step if isinstance(step, str) else next(iter(step))
            if name == "create_model":
                model = f"model-{step[name]['as']}"
                chooser.events.models[step[name]["as"]] = model
                net.oracle.model.pinned(step[name]["on"], model)
            elif name in ("crash", "restart", "lose_identity"):
                getattr(net, name)(step[name])
            elif name == "heal":
                net.heal()
    finally:
        net.close()
    return seen


def test_event_steps_are_drawn_replay_from_a_seed_and_update_only_where_the_document_is_held():
    steps = _event_draws(3, 300)
    assert steps == _event_draws(3, 300)
    names = [s if isinstance(s, str) else next(iter(s)) for s in steps]
    assert {"create_model", "register_interest", "post_events", "update_events", "post_invalid_events"} <= set(names)
    homes, restarted_since = {}, set()
    for step, name in zip(steps, names):
        if name == "post_events":
            homes[step[name]["as"]] = step[name]["on"]
            restarted_since.discard(step[name]["as"])
        elif name in ("crash", "restart", "lose_identity"):
            restarted_since |= {label for label, home in homes.items() if home == step[name]}
        elif name == "update_events":
            label = step[name]["documents"]
            assert step[name]["on"] == homes[label] and label not in restarted_since, step
        elif name == "evict_cache":
            assert "streams" in step[name], "with Recon caching documents unprompted, an eviction names its stream"
