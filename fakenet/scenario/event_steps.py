"""Scenario steps for ceramic-one's events and interest sync (issue 26), registered into
steps.REGISTRY: a Model created, interests registered, documents posted and updated as events,
schema-breaking events refused, and `expect_synced` checking the nodes' feeds against the
interest rule (fakenet.harness.interests). Models and documents are named by `as:` and used by
name later; a name no earlier step defined is refused when the file loads (check_labels)."""

from __future__ import annotations

from fakenet.errors import ConfigError
from fakenet.harness import interests
from fakenet.harness.ceramic_writer import CeramicWriter, Document
from fakenet.kinds import STREAMS
from fakenet.scenario import schema as s
from fakenet.scenario.errors import ScenarioError
from fakenet.scenario.steps import NODE, NODES, WITHIN, mapping, step
from fakenet.suggest import did_you_mean


class Ceramic:
    """What these steps share in one scenario run: the writer, models and documents by label, the rule."""

    def __init__(self, seed: int):
        self.writer = CeramicWriter(seed)
        self.models: dict[str, str] = {}
        self.documents: dict[str, list[tuple[str, Document]]] = {}  # label -> (model id, document)
        self.rule = interests.InterestModel()
        self.compared = 0  # (node, event) pairs expect_synced compared with a feed

    def model(self, label: str) -> str:
        if label not in self.models:
            raise ConfigError(f"no model named {label!r} (known: {', '.join(self.models) or 'none'}); "
                              f"name one with create_model's `as:`")
        return self.models[label]

    def documents_of(self, label: str) -> list[tuple[str, Document]]:
        if label not in self.documents:
            raise ConfigError(f"no documents named {label!r} (known: {', '.join(self.documents) or 'none'}); "
                              f"name them with post_events' `as:`")
        return self.documents[label]


def _ceramic(ctx) -> Ceramic:
    if not hasattr(ctx, "ceramic"):
        ctx.ceramic = Ceramic(ctx.net.fleet.seed)
    return ctx.ceramic


def _url(ctx, name: str, role: str) -> str:
    return ctx.net.fleet.runtime(name).url(role)


@step("create_model", "action", mapping({"on": NODE, "as": s.text}, {"pin": s.flag}), needs=(STREAMS,))
def create_model(ctx, a):
    """Create a Model (js-ceramic's type 2) on a node through 7007, named `as`; pinned there with
    pin: true (the model then counts the node as a holder of the Model, as of any pinned stream)."""
    model = _ceramic(ctx).writer.create_model(_url(ctx, a["on"], "api"))
    _ceramic(ctx).models[a["as"]] = model
    if a.get("pin"):
        ctx.net.streams.pin(a["on"], model)


@step("register_interest", "action", mapping({"on": NODES, "model": s.text}), needs=(STREAMS,))
def register_interest(ctx, a):
    """Register an interest in a Model's events on these nodes (ceramic-one's POST /interests)."""
    model = _ceramic(ctx).model(a["model"])
    for name in a["on"]:
        _ceramic(ctx).writer.register_interest(_url(ctx, name, "ceramic_one"), model)
        _ceramic(ctx).rule.register(name, model)


@step("post_events", "action", mapping({"on": NODE, "model": s.text}, {"count": s.count, "as": s.text}),
      needs=(STREAMS,))
def post_events(ctx, a):
    """Post `count` new documents of a Model (signed ModelInstanceDocument init events) to a node's
    /ceramic/events, named `as` for later updates."""
    model = _ceramic(ctx).model(a["model"])
    documents = _ceramic(ctx).writer.post(_url(ctx, a["on"], "ceramic_one"), model, a.get("count", 1))
    _ceramic(ctx).rule.posted(a["on"], model, [str(d.init) for d in documents])
    _ceramic(ctx).documents.setdefault(a.get("as", "unnamed"), []).extend((model, d) for d in documents)


@step("update_events", "action", mapping({"on": NODE, "documents": s.text}), needs=(STREAMS,))
def update_events(ctx, a):
    """Post one signed data event per document of the set to a node's /ceramic/events: new valid
    content on the tip this scenario last wrote (the node must hold the document)."""
    ceramic = _ceramic(ctx)
    for model, document in ceramic.documents_of(a["documents"]):
        cid = ceramic.writer.update(_url(ctx, a["on"], "ceramic_one"), document)
        ceramic.rule.posted(a["on"], model, [cid])


def _invalid(value, names):
    args = mapping({"on": NODE}, {"model": s.text, "documents": s.text})(value, names)
    if ("model" in args) == ("documents" in args):
        raise s.Invalid("give either model (a schema-breaking new document) or documents (a schema-breaking update)")
    return args


@step("post_invalid_events", "action", _invalid, needs=(STREAMS,))
def post_invalid_events(ctx, a):
    """Post events whose content breaks the Model's schema: a new document of `model`, or an update of
    each document of `documents`. Each must get a 400 and change nothing: it is in no feed, ever."""
    ceramic, url = _ceramic(ctx), _url(ctx, a["on"], "ceramic_one")
    if "model" in a:
        model = ceramic.model(a["model"])
        written = [(model, ceramic.writer.refused_create(url, model))]
    else:
        written = [(model, ceramic.writer.refused_update(url, document))
                   for model, document in ceramic.documents_of(a["documents"])]
    for model, cid in written:
        ceramic.rule.refused_write(cid)


@step("expect_synced", "expect", mapping(optional=WITHIN), needs=(STREAMS,))
def expect_synced(ctx, a):
    """Every event in the feed of every node the interest rule expects it on; none on a node with
    no interest in its model, nor any refused event anywhere. Links slow or lossy enough to time
    out are left out of the graph: sync over them may or may not happen in time."""
    fleet = ctx.net.fleet
    graph = ctx.net.oracle.expected_graph()
    graph.remove_edges_from([tuple(link) for link in ctx.net.oracle.model.unsteady_links()])
    _ceramic(ctx).compared += interests.expect_synced(_ceramic(ctx).rule, graph,
                            {name: _url(ctx, name, "ceramic_one") for name in fleet.up()},
                            lambda name: fleet.runtime(name).logs(20), a.get("within", interests.SYNC_BOUND),
                            gone=getattr(fleet, "gone", None))


@step("expect_not_synced", "expect", mapping({"on": NODES, "documents": s.text}), needs=(STREAMS,))
def expect_not_synced(ctx, a):
    """None of these documents' events is in these nodes' feeds: they were posted while the nodes
    were cut off from every holder (the interest rule must not expect them there)."""
    ceramic = _ceramic(ctx)
    cids = {cid for _, document in ceramic.documents_of(a["documents"]) for cid in document.events}
    interests.expect_lacks(ceramic.rule, ctx.net.oracle.expected_graph(),
                           {name: _url(ctx, name, "ceramic_one") for name in a["on"]}, cids)


# -- names checked when the file loads -------------------------------------------------------------

_DEFINES = {"create_model": "model", "post_events": "documents"}  # step -> the kind of name its `as:` defines
_USES = {"model": "model", "documents": "documents"}  # argument -> the kind of name it uses
_USERS = {"register_interest", "post_events", "update_events", "post_invalid_events", "expect_not_synced"}


def check_labels(steps, file: str) -> None:
    """ScenarioError at the first step naming a model or document set no earlier step defined."""
    defined: dict[str, set[str]] = {"model": set(), "documents": set()}
    for parsed in steps:
        for argument, kind in _USES.items():
            label = parsed.args.get(argument) if parsed.type.name in _USERS else None
            if label is not None and label not in defined[kind]:
                definer = next(step for step, defines in _DEFINES.items() if defines == kind)
                raise ScenarioError(f"no {kind} named {label!r} before this step{did_you_mean(label, defined[kind])} "
                                    f"(defined so far: {', '.join(sorted(defined[kind])) or 'none yet'}; "
                                    f"name one with the `as:` of {definer})",
                                    file=file, line=parsed.line, step=parsed.type.name)
        if parsed.type.name in _DEFINES:
            defined[_DEFINES[parsed.type.name]].add(parsed.args.get("as", "unnamed"))
