"""Scenario steps for ceramic-one's events and interest sync (issue 26), registered into
steps.REGISTRY: a Model created, interests registered, events posted, and `expect_synced`
checking the nodes' feeds against the interest rule (fakenet.harness.interests)."""

from __future__ import annotations

from fakenet.errors import ConfigError
from fakenet.harness import interests
from fakenet.harness.ceramic_writer import CeramicWriter
from fakenet.kinds import STREAMS
from fakenet.scenario import schema as s
from fakenet.scenario.steps import NODE, NODES, WITHIN, mapping, step


class Ceramic:
    """What these steps share in one scenario run: the writer, the models by label, the rule."""

    def __init__(self, seed: int):
        self.writer = CeramicWriter(seed)
        self.models: dict[str, str] = {}
        self.rule = interests.InterestModel()

    def model(self, label: str) -> str:
        if label not in self.models:
            raise ConfigError(f"no model named {label!r} (known: {', '.join(self.models) or 'none'}); "
                              f"name one with create_model's `as:`")
        return self.models[label]


def _ceramic(ctx) -> Ceramic:
    if not hasattr(ctx, "ceramic"):
        ctx.ceramic = Ceramic(ctx.net.fleet.seed)
    return ctx.ceramic


def _url(ctx, name: str, role: str) -> str:
    return ctx.net.fleet.runtime(name).url(role)


@step("create_model", "action", mapping({"on": NODE, "as": s.text}), needs=(STREAMS,))
def create_model(ctx, a):
    """Create a Model (js-ceramic's type 2) on a node through 7007, named `as`."""
    _ceramic(ctx).models[a["as"]] = _ceramic(ctx).writer.create_model(_url(ctx, a["on"], "api"))


@step("register_interest", "action", mapping({"on": NODES, "model": s.text}), needs=(STREAMS,))
def register_interest(ctx, a):
    """Register an interest in a Model's events on these nodes (ceramic-one's POST /interests)."""
    model = _ceramic(ctx).model(a["model"])
    for name in a["on"]:
        _ceramic(ctx).writer.register_interest(_url(ctx, name, "ceramic_one"), model)
        _ceramic(ctx).rule.register(name, model)


@step("post_events", "action", mapping({"on": NODE, "model": s.text}, {"count": s.count}), needs=(STREAMS,))
def post_events(ctx, a):
    """Post `count` signed ModelInstanceDocument init events of a Model to a node's /ceramic/events."""
    model = _ceramic(ctx).model(a["model"])
    cids = _ceramic(ctx).writer.post(_url(ctx, a["on"], "ceramic_one"), model, a.get("count", 1))
    _ceramic(ctx).rule.posted(a["on"], model, cids)


@step("expect_synced", "expect", mapping(optional=WITHIN), needs=(STREAMS,))
def expect_synced(ctx, a):
    """Every event in the feed of every node the interest rule expects it on; none on a node with
    no interest in its model."""
    fleet = ctx.net.fleet
    interests.expect_synced(_ceramic(ctx).rule, ctx.net.oracle.expected_graph(),
                            {name: _url(ctx, name, "ceramic_one") for name in fleet.up()},
                            lambda name: fleet.runtime(name).logs(20), a.get("within", interests.SYNC_BOUND))
