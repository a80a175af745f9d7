"""Client JSON with its nesting bounded before the parser recurses."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.interfaces.sim_exchange.json_input import JsonInputError, loads, nesting_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ("{}", 1), ('{"a": [1, {"b": 2}]}', 3), ('{"a": "[[[[{{{"}', 1), ('["\\"]"]', 1), ('"[', 0)],
)
def test_depth_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_a_document_deeper_than_the_limit_is_refused_without_recursion() -> None:
    with pytest.raises(JsonInputError, match="nested 100000 levels deep"):
        loads("[" * 100_000 + "]" * 100_000)
    assert loads("[" * 32 + "]" * 32) is not None


def test_fractions_stay_exact_unless_asked_otherwise() -> None:
    assert loads('{"qty": 0.1}') == {"qty": Decimal("0.1")}
    assert loads('{"qty": 0.1}', decimals=False) == {"qty": 0.1}


@given(st.recursive(st.integers() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_depth_matches_the_parsed_structure(value: object) -> None:
    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    assert nesting_depth(json.dumps(value)) == depth(value)
