"""An update's patch (streams/commits.py patch_between): a diff where it is small, one replace of the
whole content where a diff would be larger or costly. jsonpatch's diff of 300,000 ints was a 10 MB
commit of 300,000 full-path ops (no peer's frame limit lets it through) made in 40 CPU s with the
node's loop blocked; now no diff is made past DIFF_VALUES, and every patch still applies to the new
content."""

import pytest

from fakenet.node.streams import commits, state as states
from fakenet.node.streams.keys import ControllerKey

KEY = ControllerKey.generate()


def updated(old, new):
    cid, data = commits.make_genesis(KEY, old)
    stream = states.apply_genesis(cid, data, local=True)
    cid, data = commits.make_update(KEY, stream, new)
    return states.apply_commit(stream, cid, data, local=True), len(data)


@pytest.mark.parametrize("old, new", [
    ({"title": "a", "body": "b"}, {"title": "a", "body": "c"}),
    ({"k" * 200: [0] * 2000}, {"k" * 200: [1] * 2000}),
    ({"a": [0] * 300_000}, {"a": [1] * 300_000}),
    ({"a": list(range(50))}, {"b": {"c": [None, True, 1.5]}}),
    ({"x": 1}, {}),
])
def test_every_update_applies_to_the_new_content(old, new):
    state, _ = updated(old, new)
    assert state.content == new


def test_a_small_change_is_a_diff_and_a_wholesale_one_a_single_replace():
    assert commits.patch_between({"t": "x", "b": [1, 2, 3]}, {"t": "y", "b": [1, 2, 3]}) == [
        {"op": "replace", "path": "/t", "value": "y"}]
    long_keyed = commits.patch_between({"k" * 200: [0] * 2000}, {"k" * 200: [1] * 2000})
    assert long_keyed == [{"op": "replace", "path": "", "value": {"k" * 200: [1] * 2000}}]


def test_past_the_diff_limit_no_diff_is_made(monkeypatch):
    monkeypatch.setattr(commits.jsonpatch, "make_patch", lambda *a: pytest.fail("diffed past DIFF_VALUES"))
    big = [0] * commits.DIFF_VALUES
    assert commits.patch_between({"a": big}, {"a": big + [1]}) == [{"op": "replace", "path": "", "value": {"a": big + [1]}}]


def test_an_update_of_300000_ints_is_the_size_of_its_content():
    _, size = updated({"a": [0] * 300_000}, {"a": [1] * 300_000})
    assert size < 400_000, f"a 300,000-int update made a {size:,}-byte commit"
