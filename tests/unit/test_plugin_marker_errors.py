"""A mistake in `@pytest.mark.fakenet(...)` (a setting the kind lacks, a misspelt topology) is reported as
one line naming the marker, not as a traceback through the fixture's code (README: unknown keywords are
errors)."""

from types import SimpleNamespace

import pytest

from fakenet import pytest_plugin


def _request(**marker_keywords) -> SimpleNamespace:
    marker = SimpleNamespace(args=(), kwargs={"backend": "sim", **marker_keywords})
    config = SimpleNamespace(getoption=lambda name: None)
    return SimpleNamespace(config=config, node=SimpleNamespace(nodeid="t.py::test", get_closest_marker=lambda name: marker))


@pytest.mark.parametrize("keywords, said", [({"bogus": 1}, "has no setting bogus"),
                                            ({"topology": "rnig"}, "unknown topology 'rnig'")])
def test_a_bad_marker_keyword_fails_the_setup_in_one_line_without_a_traceback(keywords, said):
    with pytest.raises(pytest.fail.Exception) as failed:
        next(pytest_plugin.fakenet_network.__wrapped__(_request(**keywords)))
    assert not failed.value.pytrace
    assert str(failed.value.msg).startswith("@pytest.mark.fakenet: ") and said in failed.value.msg
    assert "\n" not in failed.value.msg
    assert failed.value.__context__ is None  # else pytest prints the error again, "during handling of"
