"""Models (type 2) and ModelInstanceDocuments (type 3): ids, genesis rules, schema checks, the
checks that need the Model (ModelRules, with streams held in a dict) and the index's pages."""

import asyncio

import pytest

from fakenet.node.errors import NodeError
from fakenet.node.model_index import ModelIndex, QueryError, page_size
from fakenet.node.model_rules import ModelRules
from fakenet.node.streams import CommitRejected, ControllerKey, StreamID, apply_commit, apply_genesis
from support.ceramic_models import (META_MODEL, MID_PREFIX, MODEL_PREFIX, NOTE_SCHEMA, definition,
                                    deterministic_genesis, mid_genesis, mid_update, model_genesis)

OWNER = ControllerKey.from_seed(bytes(range(32)))
OTHER = ControllerKey.from_seed(bytes(range(1, 33)))


def model(content=None):
    return apply_genesis(*model_genesis(OWNER, content or definition()))


def test_models_and_documents_get_ceramic_s_type_2_and_type_3_ids():
    note = model()
    assert note.stream_id.encode().startswith(MODEL_PREFIX) and note.stream_id.type == 2
    assert note.model == META_MODEL
    doc = apply_genesis(*mid_genesis(OWNER, note.stream_id.encode(), {"title": "hi"}))
    assert doc.stream_id.encode().startswith(MID_PREFIX) and doc.model == note.stream_id.encode()
    assert doc.to_json()["state"]["metadata"]["model"] == note.stream_id.encode()


@pytest.mark.parametrize(("content", "reason"), [
    ({**definition(), "color": "red"}, "Unexpected key 'color'"),
    (definition(schema={"type": "array"}), "schema must be a JSON Schema of type object"),
    (definition(schema={"type": "object", "properties": {"a": {"type": "no-such-type"}}}), "at properties/a/type"),
    (definition(relation={"type": "set", "fields": ["stars"]}), "set field 'stars' must be required"),
    (definition(relation={"type": "set", "fields": ["nope"]}), "set field 'nope' is not a property"),
    (definition(relation={"type": "many"}), "accountRelation"),
    (definition(relations={"owner": {"type": "document", "model": "kjzl6cwe1notastream"}}), "relations.owner.model"),
    (definition(views={"v": {"type": "sideways"}}), "views.v"),
    ({**definition(), "version": "3.0"}, "Unsupported version 3.0"),
    (definition(implements=[META_MODEL]), "implements"),
])
def test_a_model_definition_js_ceramic_refuses_is_refused_with_the_reason(content, reason):
    with pytest.raises(CommitRejected, match=reason):
        model(content)


def test_a_model_cannot_be_updated():
    note = model()
    with pytest.raises(CommitRejected, match="Cannot update a finalized Model"):
        apply_commit(note, *mid_update(OWNER, note.stream_id.genesis, note.tip, []))


def test_a_document_must_name_a_model():
    tile_id = StreamID(0, model().stream_id.genesis).encode()
    with pytest.raises(CommitRejected, match="not the stream id of a Model"):
        apply_genesis(*mid_genesis(OWNER, tile_id, {"title": "x"}))


def test_deterministic_genesis_gives_the_same_id_for_the_same_controller_and_model():
    models = [model(definition(name=n, relation={"type": "single"})).stream_id.encode() for n in ("A", "B")]
    first, again = (apply_genesis(*deterministic_genesis(OWNER.did, models[0])) for _ in range(2))
    assert first.stream_id == again.stream_id and first.content is None
    assert apply_genesis(*deterministic_genesis(OTHER.did, models[0])).stream_id != first.stream_id
    assert apply_genesis(*deterministic_genesis(OWNER.did, models[1])).stream_id != first.stream_id


def test_a_document_update_may_change_only_should_index():
    doc = apply_genesis(*mid_genesis(OWNER, model().stream_id.encode(), {"title": "x"}))
    hidden = apply_commit(doc, *mid_update(OWNER, doc.stream_id.genesis, doc.tip, [], {"shouldIndex": False}))
    assert hidden.should_index is False
    with pytest.raises(CommitRejected, match="Updating metadata"):
        apply_commit(doc, *mid_update(OWNER, doc.stream_id.genesis, doc.tip, [], {"controllers": [OTHER.did]}))


# -- checks that need the Model --------------------------------------------------------------------

class Held:
    """ModelRules' loader over streams held in a dict."""

    def __init__(self, *states):
        self.states = {s.stream_id: s for s in states}

    async def __call__(self, stream_id):
        if stream_id not in self.states:
            raise NodeError(f"{stream_id} is held by no node")
        return self.states[stream_id]


def check(rules, state, before=None):
    asyncio.run(rules.check(state, before))


def test_content_that_breaks_the_schema_is_refused_naming_each_field_and_why():
    note = model()
    rules = ModelRules(Held(note))
    doc = apply_genesis(*mid_genesis(OWNER, note.stream_id.encode(), {"title": "ok", "stars": 2}))
    check(rules, doc)
    bad = apply_commit(doc, *mid_update(OWNER, doc.stream_id.genesis, doc.tip, [
        {"op": "replace", "path": "/stars", "value": -1}, {"op": "add", "path": "/site", "value": "not a uri"}]))
    with pytest.raises(CommitRejected) as refused:
        check(rules, bad, doc)
    assert "/stars: -1 is less than the minimum of 0" in str(refused.value)
    assert "/site: 'not a uri' is not a 'uri'" in str(refused.value)


def test_the_account_relation_decides_the_genesis_header():
    lists, single = model(), model(definition(name="Profile", relation={"type": "single"}))
    rules = ModelRules(Held(lists, single))
    with pytest.raises(CommitRejected, match="LIST accountRelations must be created with a unique"):
        check(rules, apply_genesis(*mid_genesis(OWNER, lists.stream_id.encode(), {"title": "x"}, unique=None)))
    with pytest.raises(CommitRejected, match="SINGLE accountRelations must be created deterministically"):
        check(rules, apply_genesis(*mid_genesis(OWNER, single.stream_id.encode(), {"title": "x"})))
    check(rules, apply_genesis(*deterministic_genesis(OWNER.did, single.stream_id.encode())))


def test_a_set_document_keeps_the_fields_its_unique_spells():
    schema = {**NOTE_SCHEMA, "required": ["title", "stars"]}
    rated = model(definition(name="Rating", schema=schema, relation={"type": "set", "fields": ["title", "stars"]}))
    rules = ModelRules(Held(rated))
    genesis = apply_genesis(*deterministic_genesis(OWNER.did, rated.stream_id.encode(), b"dune|5"))
    check(rules, genesis)
    filled = apply_commit(genesis, *mid_update(OWNER, genesis.stream_id.genesis, genesis.tip, [
        {"op": "add", "path": "/title", "value": "dune"}, {"op": "add", "path": "/stars", "value": 5}]))
    check(rules, filled, genesis)
    changed = apply_commit(filled, *mid_update(OWNER, genesis.stream_id.genesis, filled.tip, [
        {"op": "replace", "path": "/stars", "value": 4}]))
    with pytest.raises(CommitRejected, match="Unique content fields value does not match"):
        check(rules, changed, filled)


def test_an_immutable_field_keeps_its_value():
    note = model(definition(immutableFields=["title"]))
    rules = ModelRules(Held(note))
    doc = apply_genesis(*mid_genesis(OWNER, note.stream_id.encode(), {"title": "x"}))
    renamed = apply_commit(doc, *mid_update(OWNER, doc.stream_id.genesis, doc.tip,
                                            [{"op": "replace", "path": "/title", "value": "y"}]))
    with pytest.raises(CommitRejected, match='Immutable field "title"'):
        check(rules, renamed, doc)


def test_a_relation_must_point_to_a_document_of_the_model_it_names():
    note = model()
    other = model(definition(name="Other"))
    schema = {"type": "object", "properties": {"note": {"type": "string"}}}
    comment = model(definition(name="Comment", schema=schema,
                               relations={"note": {"type": "document", "model": note.stream_id.encode()}}))
    of_note = apply_genesis(*mid_genesis(OWNER, note.stream_id.encode(), {"title": "n"}))
    of_other = apply_genesis(*mid_genesis(OWNER, other.stream_id.encode(), {"title": "o"}))
    rules = ModelRules(Held(note, other, comment, of_note, of_other))
    check(rules, apply_genesis(*mid_genesis(OWNER, comment.stream_id.encode(), {"note": of_note.stream_id.encode()})))
    with pytest.raises(CommitRejected, match="specifies that this relation must be to a Stream in the Model"):
        check(rules, apply_genesis(*mid_genesis(OWNER, comment.stream_id.encode(),
                                                {"note": of_other.stream_id.encode()})))
    with pytest.raises(CommitRejected, match="cannot be loaded"):
        check(rules, apply_genesis(*mid_genesis(OWNER, comment.stream_id.encode(),
                                                {"note": StreamID(3, note.stream_id.genesis).encode()})))


def test_documents_cannot_be_made_of_an_interface_and_implements_must_name_interfaces():
    face = model(definition(name="Face", interface=True))
    plain = model()
    rules = ModelRules(Held(face, plain))
    with pytest.raises(CommitRejected, match="cannot be created on interface Models"):
        check(rules, apply_genesis(*mid_genesis(OWNER, face.stream_id.encode(), {"title": "x"})))
    check(rules, model(definition(name="Impl", implements=[face.stream_id.encode()])))
    with pytest.raises(CommitRejected, match="is not an interface"):
        check(rules, model(definition(name="Bad", implements=[plain.stream_id.encode()])))


# -- the index ---------------------------------------------------------------------------------

def test_the_index_pages_forward_and_back_and_filters_by_account(tmp_path):
    index = ModelIndex(tmp_path / "index.sqlite")
    note = model().stream_id
    index.start([note])
    docs = [apply_genesis(*mid_genesis(key, note.encode(), {"title": str(n)}, unique=bytes([n]) * 12))
            for n, key in enumerate([OWNER, OTHER, OWNER, OWNER])]
    for doc in docs:
        index.note(doc)
    ids = [d.stream_id.encode() for d in docs]
    first = index.query([note.encode()], None, first=3)
    assert [s for _, s in first.streams] == ids[:3] and first.has_next
    rest = index.query([note.encode()], None, first=3, after=first.streams[-1][0])
    assert [s for _, s in rest.streams] == ids[3:] and not rest.has_next and rest.has_previous
    assert [s for _, s in index.query([note.encode()], None, last=2).streams] == ids[2:]
    assert [s for _, s in index.query([note.encode()], OWNER.did, first=10).streams] == [ids[0], ids[2], ids[3]]
    assert index.count([note.encode()], OTHER.did) == 1


def test_the_index_refuses_what_js_ceramic_refuses(tmp_path):
    index = ModelIndex(tmp_path / "index.sqlite")
    note = model().stream_id.encode()
    with pytest.raises(QueryError, match="not indexed"):
        index.query([note], None, first=1)
    with pytest.raises(QueryError, match="Maximum is 1000"):
        page_size({"first": 1001})
    with pytest.raises(QueryError, match="either \"first\" or \"last\""):
        page_size({"first": 0})
    index.start([StreamID.parse(note)])
    with pytest.raises(QueryError, match="cursor"):
        index.query([note], None, first=1, after="garbage")


def test_gossip_that_breaks_the_model_held_here_is_refused_and_needs_the_model():
    note = model()
    doc = apply_genesis(*mid_genesis(OWNER, note.stream_id.encode(), {"title": "ok"}))
    bad = apply_commit(doc, *mid_update(OWNER, doc.stream_id.genesis, doc.tip,
                                        [{"op": "add", "path": "/stars", "value": "lots"}]))
    rules = ModelRules(Held())
    assert "'lots' is not of type 'integer'" in rules.holds(bad, doc, {note.stream_id: note}.get)
    assert "is not held here" in rules.holds(bad, doc, {}.get)
    good = apply_commit(doc, *mid_update(OWNER, doc.stream_id.genesis, doc.tip,
                                         [{"op": "add", "path": "/stars", "value": 4}]))
    assert rules.holds(good, doc, {note.stream_id: note}.get) is None


def test_documents_whose_relations_name_each_other_are_checked_without_end():
    schema = {"type": "object", "properties": {"peer": {"type": "string"}}}
    linked = model(definition(name="Linked", schema=schema, relations={"peer": {"type": "document", "model": None}}))
    first = apply_genesis(*mid_genesis(OWNER, linked.stream_id.encode(), {}, unique=b"a" * 12))
    second = apply_genesis(*mid_genesis(OWNER, linked.stream_id.encode(), {"peer": first.stream_id.encode()},
                                        unique=b"b" * 12))
    first = apply_commit(first, *mid_update(OWNER, first.stream_id.genesis, first.tip,
                                            [{"op": "add", "path": "/peer", "value": second.stream_id.encode()}]))
    held = Held(linked, first, second)
    rules = ModelRules(held)

    async def load_and_check(stream_id):  # as a load from peers does: the target is checked before it is kept
        state = held.states[stream_id]
        await rules.check(state)
        return state

    rules.load = load_and_check
    check(rules, first)
