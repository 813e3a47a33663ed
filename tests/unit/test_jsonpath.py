"""JSONPath: short forms, the plain-key fast path agreeing with a real JSONPath match, clear failures."""

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.jsonpath import compile_path, find_all, find_one, has_path, selector

DATA = {"type": "order.created", "payload": {"id": "o-1", "items": [{"sku": "A"}, {"sku": "B"}], "note": None}}


@pytest.mark.parametrize(
    "path", ["payload.id", "payload.items", "payload.missing", "type", "payload.id.deeper", "payload.note"]
)
def test_plain_paths_select_what_jsonpath_selects(path):
    assert selector(path)(DATA) == [match.value for match in compile_path(path).find(DATA)]


def test_short_and_full_forms():
    assert find_one(DATA, "payload.id") == "o-1"
    assert find_one(DATA, "$.payload.id") == "o-1"
    assert find_all(DATA, "payload.items[*].sku") == ["A", "B"]
    assert find_one(DATA, "payload.items[?sku='B'].sku") == "B"
    assert has_path(DATA, "payload.note")
    assert not has_path(DATA, "payload.nothing")


def test_no_match_and_bad_path_fail_clearly():
    with pytest.raises(SeamError, match=r"^JSONPath: 'payload\.nothing' matches nothing in "):
        find_one(DATA, "payload.nothing")
    assert find_one(DATA, "payload.nothing", default=None) is None
    with pytest.raises(SeamError, match=r"^JSONPath: 'payload\.\.\[' is not a valid JSONPath"):
        find_all(DATA, "payload..[")
