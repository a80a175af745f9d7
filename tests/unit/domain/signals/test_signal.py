"""The signal: validated on construction, its payload round trip exact, a bad payload refused naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tradewind.domain.market import PayloadError
from tradewind.domain.signals.signal import Action, Signal, signal_from_payload, signal_to_payload
from tradewind.domain.values import Category

D = Decimal


def buy(**changes: Any) -> Signal:
    values: dict[str, Any] = {
        "signal_id": "0f" * 16, "source": "trend-btc", "exchange": "sim", "category": Category.LINEAR,
        "symbol": "BTCUSDT", "action": Action.BUY, "amount_quote": D(100), "take_profit_pct": D("3.5"),
        "stop_loss_pct": D("1.25"), "interval": 1, "candle_start_ms": 60_000, "price": D("60000.5"),
        "ts_ns": 120_000_000_000,
    }  # fmt: skip
    values.update(changes)
    return Signal(**values)


def test_a_signal_survives_its_payload_exactly() -> None:
    for signal in (buy(), buy(action=Action.SELL, take_profit_pct=None, stop_loss_pct=None)):
        assert signal_from_payload(signal_to_payload(signal)) == signal
    assert signal_to_payload(buy())["amount_quote"] == "100"
    assert buy().topic() == "signal.trade.sim.linear.BTCUSDT"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount_quote": "-5"}, "amount_quote must be positive"),
        ({"amount_quote": 5}, "'amount_quote' must be a decimal string"),
        ({"source": ""}, "source must be"),
        ({"action": "HOLD"}, "'action' must be one of"),
        ({"stop_loss_pct": "100"}, r"stop_loss_pct must be in \(0, 100\)"),
        ({"take_profit_pct": "0"}, "take_profit_pct must be in"),
        ({"category": "inverse"}, "'category' must be one of"),
        ({"symbol": 7}, "'symbol' must be a string"),
    ],
)
def test_a_bad_payload_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        signal_from_payload({**signal_to_payload(buy()), **change})


def test_a_missing_field_is_named() -> None:
    payload = signal_to_payload(buy())
    del payload["source"]
    with pytest.raises(PayloadError, match="missing field 'source'"):
        signal_from_payload(payload)
