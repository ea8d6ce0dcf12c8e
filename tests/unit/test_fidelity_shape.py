"""The fidelity tool's structure comparison and its table of deliberate differences."""

from fakenet.fidelity.explained import explain
from fakenet.fidelity.shape import differences, shape


def test_shape_keeps_keys_and_types_not_values():
    assert shape({"a": 1, "b": [{"c": "x"}, {"c": "y", "d": True}], "e": None}) == \
        {"a": "number", "b": [{"c": "string", "d": "boolean"}], "e": "null"}
    assert shape(1) == shape(0.5)


def test_differences_name_the_side_and_the_path():
    ours, theirs = shape({"a": 1, "x": {"y": "s"}}), shape({"a": "t", "z": 2, "x": {"y": 1}})
    assert differences(ours, theirs) == [".a: fakenet number, Litecoin Core string",
                                         ".x.y: fakenet string, Litecoin Core number",
                                         ".z: only in Litecoin Core"]
    assert differences(shape([{"k": 1}]), shape([{"k": 2}])) == []


def test_only_listed_differences_are_explained():
    assert explain("getnetworkinfo", ".peerid: only in fakenet")
    assert explain("getnetworkinfo", ".relayfee: only in Litecoin Core") is None
    assert explain("anything", ".tx[].vin[].ismweb: only in Litecoin Core")
