"""Secret-named keys never leave the process; log fields become JSON-safe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.logging.redaction import drop_secrets, is_secret_key, json_safe
from tradewind.domain.values import Side


@pytest.mark.parametrize(
    "key",
    [
        "api_secret",
        "secret",
        "password",
        "db_password",
        "X-Api-Key",
        "apikey",
        "api_key",
        "access_token",
        "Authorization",
        "passphrase",
        "private_key",
        "signature",
    ],
)
def test_secret_like_keys_are_recognised(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["qty", "price", "symbol", "job_id", "key", "order_id", 3])
def test_ordinary_keys_are_kept(key: object) -> None:
    assert not is_secret_key(key)


def test_secrets_are_dropped_at_every_depth_without_touching_the_callers_objects() -> None:
    headers = {"X-Api-Key": "k", "accept": "json"}
    event: dict[str, Any] = {"event": "e", "api_secret": "s", "headers": headers, "calls": [{"token": "t", "n": 1}]}

    out = drop_secrets(None, "info", event)

    assert out == {"event": "e", "headers": {"accept": "json"}, "calls": [{"n": 1}]}
    assert headers == {"X-Api-Key": "k", "accept": "json"}


keys_ = st.sampled_from(["token", "API-Key", "qty", "Password", "px"]) | st.text(max_size=4)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=4)
    | st.decimals()
    | st.floats()
    | st.sampled_from(Side),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys_, inner, max_size=3) | st.tuples(inner, inner),
    max_leaves=10,
)


@settings(max_examples=60)
@given(st.dictionaries(keys_, json_values, max_size=4))
def test_json_safe_output_always_serialises_and_holds_no_secret_key(fields: dict[str, Any]) -> None:
    safe = json_safe(fields)
    text = json.dumps(safe, allow_nan=False)

    def keys(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [*value, *(k for v in value.values() for k in keys(v))]
        return [k for v in value for k in keys(v)] if isinstance(value, list) else []

    assert not any(is_secret_key(k) for k in keys(json.loads(text)))


@dataclass(frozen=True)
class _Order:
    price: Decimal
    side: Side


def test_json_safe_keeps_decimals_exact_as_strings() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert json_safe({"order": _Order(Decimal("65000.10"), Side.BUY), "at": when, "n": float("nan")}) == {
        "order": {"price": "65000.10", "side": "Buy"},
        "at": "2026-01-01T00:00:00+00:00",
        "n": "nan",
    }
