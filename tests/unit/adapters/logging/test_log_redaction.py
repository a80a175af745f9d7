"""Secrets never leave the process: secret-named keys and URL passwords are masked; log fields become JSON-safe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.adapters.logging.redaction import (
    MASK,
    is_secret_key,
    json_safe,
    mask_secrets,
    mask_url,
    redact_secrets,
)
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


@pytest.mark.parametrize(
    "key", ["qty", "price", "symbol", "job_id", "key", "matching_key", "order_id", "api_key_env", "secrets_file", 3]
)
def test_ordinary_keys_are_kept(key: object) -> None:
    assert not is_secret_key(key)


def test_secrets_are_masked_at_every_depth_without_touching_the_callers_objects() -> None:
    headers = {"X-Api-Key": "k", "accept": "json"}
    event: dict[str, Any] = {
        "event": "e",
        "api_secret": "s",
        "headers": headers,
        "calls": [{"token": "t", "n": 1}],
        "url": "amqp://svc:pw@10.0.0.1/",
    }

    out = redact_secrets(None, "info", event)

    assert out == {
        "event": "e",
        "api_secret": MASK,
        "headers": {"X-Api-Key": MASK, "accept": "json"},
        "calls": [{"token": MASK, "n": 1}],
        "url": "amqp://svc:***@10.0.0.1/",
    }
    assert headers == {"X-Api-Key": "k", "accept": "json"}


def test_an_exception_is_rendered_with_its_url_passwords_masked() -> None:
    try:
        raise ConnectionError("cannot reach postgresql://svc:hunter2@db:5432/x")
    except ConnectionError as exc:
        out = redact_secrets(None, "error", {"event": "db.down", "exc_info": exc})

    assert "exc_info" not in out
    assert "postgresql://svc:***@db:5432/x" in out["exception"]
    assert "hunter2" not in out["exception"]


def test_an_unset_secret_stays_visible_as_unset() -> None:
    assert mask_secrets({"api_secret": None, "password": "", "token": "t"}) == {
        "api_secret": None,
        "password": "",
        "token": MASK,
    }


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("amqp://svc:pw@10.0.0.1:5672/prod", "amqp://svc:***@10.0.0.1:5672/prod"),
        ("postgresql+psycopg://u:p:w/x@h/db", "postgresql+psycopg://u:***@h/db"),
        ("got 'amqp//u:pw@h/' twice", "got 'amqp//u:***@h/' twice"),
        ("got 'amqp:/u:pw@h/'", "got 'amqp:/u:***@h/'"),
        ("u:pw@host:5672", "u:***@host:5672"),
        ("a=https://k:s@x.io and b=redis://:pw@r:6379/0", "a=https://k:***@x.io and b=redis://:***@r:6379/0"),
    ],
)
def test_every_url_password_in_a_text_is_masked(text: str, masked: str) -> None:
    assert mask_url(text) == masked


@pytest.mark.parametrize(
    "text", ["amqp://10.0.0.1/", "amqp://guest@10.0.0.1:5672/", "sqlite:///data/tw.db", "at 10:30 in BTC@65000", ""]
)
def test_text_without_a_password_is_unchanged(text: str) -> None:
    assert mask_url(text) == text


_user = st.text(st.sampled_from("abcxyz019_.-%+"), max_size=8)
_password = st.text(st.characters(blacklist_categories=("Cs", "Z", "Cc"), blacklist_characters="@'\"\\"), min_size=1)


@settings(max_examples=200)
@given(st.sampled_from(["amqp", "amqps", "postgresql+psycopg", "https"]), _user, _password)
def test_a_urls_password_never_survives_masking(scheme: str, user: str, password: str) -> None:
    url = f"{scheme}://{user}:{password}@db.internal:5432/x"
    masked = mask_url(url)
    assert masked == f"{scheme}://{user}:***@db.internal:5432/x"
    assert mask_url(masked) == masked
    assert mask_secrets({"nested": [{"url": url}]}) == {"nested": [{"url": masked}]}


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
def test_json_safe_output_always_serialises_and_masks_every_secret_key(fields: dict[str, Any]) -> None:
    safe = json_safe(fields)
    text = json.dumps(safe, allow_nan=False)

    def secrets(value: Any) -> list[Any]:
        if isinstance(value, dict):
            own = [v for k, v in value.items() if is_secret_key(k)]
            return own + [s for k, v in value.items() if not is_secret_key(k) for s in secrets(v)]
        return [s for v in value for s in secrets(v)] if isinstance(value, list) else []

    assert all(v in (MASK, None, "") for v in secrets(json.loads(text)))


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
