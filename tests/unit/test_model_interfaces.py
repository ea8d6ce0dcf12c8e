"""A Model implementing an interface Model (fakenet/node/streams/interfaces.py), as js-ceramic's
interfaces-utils decides it: the cases of its own tests, and ModelRules refusing a bad implementation."""

import asyncio

import pytest

from fakenet.node.errors import NodeError
from fakenet.node.model_rules import ModelRules
from fakenet.node.streams import CommitRejected, ControllerKey, apply_genesis
from fakenet.node.streams.interfaces import check_implementation, is_match, schema_differences
from support.ceramic_models import definition, model_genesis

OWNER = ControllerKey.from_seed(bytes(range(32)))

INTERFACE = {"type": "object", "required": ["title"],
             "properties": {"title": {"type": "string", "maxLength": 100},
                            "stars": {"type": "integer", "minimum": 0, "maximum": 5},
                            "kind": {"type": "string", "enum": ["a", "b", "c"]},
                            "tags": {"type": "array", "maxItems": 10, "items": {"$ref": "#/$defs/Tag"}}},
             "$defs": {"Tag": {"type": "string", "minLength": 1}}}


def implementation(**changes):
    schema = {**INTERFACE, "properties": {**INTERFACE["properties"]}, "required": ["title", "body"]}
    schema["properties"]["body"] = {"type": "string"}
    for name, value in changes.items():
        if value is None:
            schema["properties"].pop(name)
        else:
            schema["properties"][name] = value
    return schema


def test_a_narrowing_with_more_fields_implements_the_interface():
    narrower = implementation(stars={"type": "integer", "minimum": 1, "maximum": 3}, kind={"type": "string", "const": "b"},
                              title={"type": "string", "maxLength": 50},
                              tags={"type": "array", "maxItems": 3, "items": {"type": "string", "minLength": 2}})
    assert schema_differences(INTERFACE, narrower) == []


@pytest.mark.parametrize(("changes", "difference"), [
    ({"title": None}, "property 'title' of the interface is missing"),
    ({"stars": {"type": "integer", "minimum": 0, "maximum": 9}}, "/stars: maximum must be 5, is 9"),
    ({"stars": {"type": "integer", "minimum": 0}}, "/stars: maximum must be 5, is None"),
    ({"stars": {"type": "number", "minimum": 0, "maximum": 5}}, "/stars: type must be 'integer', is 'number'"),
    ({"kind": {"type": "string", "enum": ["a", "z"]}}, "/kind: enum must be ['a', 'b', 'c']"),
    ({"kind": {"type": "string", "const": "z"}}, "/kind: enum must be"),
    ({"title": {"type": "string", "maxLength": 100, "const": "x" * 101}}, "/title: maxLength must be 100"),
    ({"tags": {"type": "array", "maxItems": 10, "items": {"type": "string"}}}, "/tags/items: minLength must be 1"),
    ({"tags": {"type": "array", "maxItems": 10}}, "/tags: items must be"),
])
def test_a_wider_or_missing_field_is_named_with_its_path(changes, difference):
    found = schema_differences(INTERFACE, implementation(**changes))
    assert any(difference in line for line in found), found


def test_a_required_field_must_stay_required():
    schema = implementation()
    schema["required"] = ["body"]
    assert schema_differences(INTERFACE, schema) == ["(root): 'title' must be required, as the interface requires it"]


def test_relations_views_and_immutable_fields_are_kept_as_the_interface_has_them():
    face = {"version": "2.0", "schema": INTERFACE, "relations": {"owner": {"type": "account"}},
            "views": {"author": {"type": "documentAccount"}}, "immutableFields": ["title"]}
    good = {**face, "schema": implementation(), "relations": {"owner": {"type": "account"}, "x": {"type": "account"}},
            "immutableFields": ["title", "body"]}
    check_implementation("kjzl6hvfrbw6c-face", face, good)
    bad = {**good, "relations": {}, "views": {"author": {"type": "documentVersion"}}, "immutableFields": []}
    with pytest.raises(CommitRejected) as refused:
        check_implementation("kjzl6hvfrbw6c-face", face, bad)
    assert str(refused.value).startswith("Invalid implementation of interface kjzl6hvfrbw6c-face: relations")
    assert "views" in str(refused.value) and "immutableFields: title" in str(refused.value)


def test_is_match_is_a_deep_partial_comparison():
    assert is_match({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 1}})
    assert not is_match({"a": {"b": 2}}, {"a": {"b": 1}}) and not is_match({}, {"a": 1})


def test_any_of_needs_one_match_and_all_of_needs_each():
    assert schema_differences({"anyOf": [{"type": "string"}, {"type": "integer"}]}, {"type": "integer"}) == []
    assert schema_differences({"anyOf": [{"type": "string"}]}, {"type": "integer"})
    assert schema_differences({"allOf": [{"type": "string"}]}, {"allOf": [{"type": "string"}]}) == []
    assert schema_differences({"allOf": [{"type": "string"}]}, {"type": "string"})


def model(content):
    return apply_genesis(*model_genesis(OWNER, content))


def check(rules, state):
    asyncio.run(rules.check(state))


def test_the_node_refuses_a_model_that_does_not_implement_its_interface():
    face = model(definition(name="Face", interface=True))

    async def held(stream_id):
        if stream_id != face.stream_id:
            raise NodeError(f"{stream_id} is held by no node")
        return face

    rules = ModelRules(held)
    narrowed = {**face.content["schema"], "properties": {**face.content["schema"]["properties"]}}
    check(rules, model(definition(name="Impl", implements=[face.stream_id.encode()], schema=narrowed)))
    first = sorted(narrowed["properties"])[0]
    del narrowed["properties"][first]
    with pytest.raises(CommitRejected, match=f"Invalid implementation of interface .*property '{first}'"):
        check(rules, model(definition(name="Bad", implements=[face.stream_id.encode()], schema=narrowed)))
