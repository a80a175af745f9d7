"""The RabbitMQ bus's pure parts: JSON wire codec, header text, queue names and settings validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tradewind.adapters.bus.rabbitmq import amqp_queue_name
from tradewind.adapters.bus.rabbitmq_codec import UndecodableMessage, decode_payload, encode_payload, header_text
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_any_json_object_survives_encode_and_decode(payload: dict[str, Any]) -> None:
    assert decode_payload(encode_payload("t", payload)) == payload


def test_encoding_is_compact_utf8() -> None:
    assert encode_payload("t", {"sym": "BTC€", "qty": "0.5"}) == '{"sym":"BTC€","qty":"0.5"}'.encode()


@pytest.mark.parametrize(
    ("payload", "error", "match"),
    [
        ({"price": Decimal("1.1")}, TypeError, r"payload for 'order\.new' is not JSON: Decimal is not JSON"),
        ({"qty": float("inf")}, ValueError, r"payload for 'order\.new' is not JSON"),
        ({"when": object()}, TypeError, "object is not JSON-serialisable"),
        ("text", TypeError, "must be a JSON object"),
    ],
)
def test_payload_that_json_cannot_carry_is_refused_naming_the_topic(
    payload: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        encode_payload("order.new", payload)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xc3\x28", "not UTF-8"),
        (b'"a string"', "JSON str, not an object"),
        (b"null", "JSON NoneType, not an object"),
        (b'{"x": NaN}', "NaN is not valid JSON"),
    ],
)
def test_body_that_is_not_a_json_object_is_undecodable_with_the_reason(body: bytes, match: str) -> None:
    with pytest.raises(UndecodableMessage, match=match):
        decode_payload(body)


def test_header_values_become_text_and_tables_are_left_out() -> None:
    headers = {"a": "x", "b": b"y", "n": 3, "d": Decimal("1.5"), "x-death": [{"count": 1}], "t": {"k": "v"}}
    assert header_text(headers) == {"a": "x", "b": "y", "n": "3", "d": "1.5"}


@pytest.mark.parametrize(
    ("name", "mapped"),
    [("orders", "orders"), ("rpc:rpc.orders", "rpc:rpc.orders"), ("fanout:md.*.sim.#", "fanout:md.+.sim.#")],
)
def test_queue_names_map_star_to_plus(name: str, mapped: str) -> None:
    assert amqp_queue_name(name) == mapped


@pytest.mark.parametrize("name", ["", "amq.gen-1", "ord€rs", "a!b", "q" * 251])
def test_queue_name_amqp_cannot_hold_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid queue name"):
        amqp_queue_name(name)


def test_settings_defaults_point_at_the_local_broker() -> None:
    s = RabbitMqSettings()
    assert s.url == "amqp://guest:guest@127.0.0.1:5672/"
    assert (s.exchange, s.prefetch, s.max_retries) == ("tradewind.events", 64, 3)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"prefetchh": 5}, "prefetchh"),
        ({"url": "http://127.0.0.1:5672/"}, "amqp:// or amqps:// URL with a host"),
        ({"url": "amqp://u:topsecret@"}, "amqp:// or amqps:// URL with a host"),
        ({"url": "amqp:/u:topsecret@127.0.0.1/"}, "amqp:// or amqps:// URL with a host"),
        ({"exchange": "amq.topic"}, "reserved"),
        ({"dead_letter_exchange": "tradewind.events"}, "must differ"),
        ({"prefetch": 0}, "prefetch"),
        ({"max_retries": -1}, "max_retries"),
        ({"request_timeout": 0}, "request_timeout"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match) as info:
        RabbitMqSettings(**fields)
    assert "topsecret" not in str(info.value)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        RabbitMqSettings().prefetch = 5  # type: ignore[misc]
