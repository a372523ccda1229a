import json

import pytest

from bot.webhook_body import MAX_DEPTH, NotJson, depth, parse_json


def test_depth_counts_nesting_without_recursion() -> None:
    assert depth(1) == 0 and depth([]) == 1 and depth({"a": [1, {"b": []}]}) == 4
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert depth(deep) == 100_001


def test_parse_refuses_what_is_too_deep_or_not_json() -> None:
    ok = json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert parse_json(json.dumps(ok).encode()) == ok
    for raw in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "[" * 5000 + "]" * 5000, "{", "\xff"):
        with pytest.raises(NotJson):
            parse_json(raw.encode("latin-1"))
