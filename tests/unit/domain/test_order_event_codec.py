"""order.event payloads: every OrderUpdate survives the JSON round trip exactly; bad payloads are refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.domain.order_events import (
    OrderEventKind,
    OrderUpdate,
    order_update_from_payload,
    order_update_to_payload,
)
from tradewind.domain.orders import OrderState
from tradewind.domain.values import Category, Side

money = st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False, allow_infinity=False)
updates = st.builds(
    OrderUpdate,
    kind=st.sampled_from(OrderEventKind),
    exchange=st.just("sim"),
    category=st.sampled_from(Category),
    symbol=st.just("BTCUSDT"),
    client_order_id=st.text("abc123", min_size=1, max_size=36),
    ts_ns=st.integers(0, 2**63 - 1),
    side=st.none() | st.sampled_from(Side),
    state=st.none() | st.sampled_from(OrderState),
    qty=st.none() | money,
    price=st.none() | money,
    filled_qty=money,
    fee=money,
    is_maker=st.none() | st.booleans(),
)


@given(updates)
def test_order_update_round_trips_through_json(update: OrderUpdate) -> None:
    assert order_update_from_payload(json.loads(json.dumps(order_update_to_payload(update)))) == update


def test_payload_with_float_timestamp_or_unknown_state_is_refused() -> None:
    good = order_update_to_payload(OrderUpdate(OrderEventKind.FILL, "sim", Category.SPOT, "BTCUSDT", "c1", 1))
    with pytest.raises(ValueError, match="ts_ns"):
        order_update_from_payload({**good, "ts_ns": 1.5})
    with pytest.raises(ValueError, match="'open'"):
        order_update_from_payload({**good, "state": "open"})
    assert order_update_from_payload(good).fee == Decimal(0)
