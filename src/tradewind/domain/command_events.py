"""A decoded trade command as the bus carries it to the trader: ``cmd.trade.<exchange>`` (``cmd.trade`` for all).

The payload is the seed's shape, ``{"action": "open", "ticker": "BTCUSDT", "qty": "80", "side": "BUY", ...}``, with
every number an exact decimal string, so any consumer (the trader service, a user's own plugin) reads it without
knowing Tradewind's types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradewind.domain.commands import AmountUnit, CloseAll, CloseTrade, OpenTrade, TradeCommand
from tradewind.domain.values import Category, Side

TRADE_COMMAND_KIND = "cmd.trade"
_SIDES = {Side.BUY: "BUY", Side.SELL: "SELL"}
_SIDE_OF = {word: side for side, word in _SIDES.items()}


@dataclass(frozen=True, slots=True)
class TradeCommandEvent:
    """One trade command on the bus; ``dry`` asks the trader what it would send, changing nothing."""

    command: TradeCommand
    dry: bool = False
    key: str = ""  # identifies the trade an open starts: the same key never opens a second one

    @property
    def topic(self) -> str:
        exchange = self.command.exchange
        return TRADE_COMMAND_KIND if exchange is None else f"{TRADE_COMMAND_KIND}.{exchange}"


def trade_command_to_payload(event: TradeCommandEvent) -> dict[str, Any]:
    command = event.command
    match command:
        case OpenTrade():
            body: dict[str, Any] = {
                "action": "open",
                "ticker": command.symbol,
                "qty": str(command.amount),
                "unit": command.unit.value,
                "side": _SIDES[command.side],
                "exchange": command.exchange,
                "category": command.category.value,
                "trailing_stop_pct": _text(command.trailing_stop_pct),
                "stop_loss_pct": _text(command.stop_loss_pct),
                "take_profit_pct": _text(command.take_profit_pct),
                "limit_price": _text(command.limit_price),
            }
        case CloseTrade():
            body = {
                "action": "close",
                "ticker": command.symbol,
                "exchange": command.exchange,
                "category": command.category.value,
            }
        case CloseAll():
            body = {"action": "close_all", "exchange": command.exchange}
    return {**body, "dry": event.dry, "key": event.key}


def trade_command_from_payload(p: Mapping[str, Any]) -> TradeCommandEvent:
    """The inverse of ``trade_command_to_payload``; a missing or invalid field raises KeyError / ValueError."""
    dry = p.get("dry", False)
    if not isinstance(dry, bool):
        raise ValueError(f"field 'dry' must be true or false, got {dry!r}")
    action = p["action"]
    exchange = _optional_word(p, "exchange")
    command: TradeCommand
    if action == "open":
        side = _SIDE_OF.get(p["side"])
        if side is None:
            raise ValueError(f"field 'side' must be BUY or SELL, got {p['side']!r}")
        command = OpenTrade(
            side, _word(p, "ticker"), _decimal(p, "qty"), AmountUnit(p.get("unit", "quote")), exchange,
            Category(p.get("category", "spot")),
            trailing_stop_pct=_optional_decimal(p, "trailing_stop_pct"),
            stop_loss_pct=_optional_decimal(p, "stop_loss_pct"),
            take_profit_pct=_optional_decimal(p, "take_profit_pct"),
            limit_price=_optional_decimal(p, "limit_price"),
        )  # fmt: skip
    elif action == "close":
        command = CloseTrade(_word(p, "ticker"), exchange, Category(p.get("category", "spot")))
    elif action == "close_all":
        command = CloseAll(exchange)
    else:
        raise ValueError(f"field 'action' must be open, close or close_all, got {action!r}")
    key = p.get("key", "")
    if not isinstance(key, str):
        raise ValueError(f"field 'key' must be a string, got {key!r}")
    return TradeCommandEvent(command, dry, key)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _word(p: Mapping[str, Any], key: str) -> str:
    value = p[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {key!r} must be a non-empty string, got {value!r}")
    return value


def _optional_word(p: Mapping[str, Any], key: str) -> str | None:
    return None if p.get(key) is None else _word(p, key)


def _decimal(p: Mapping[str, Any], key: str) -> Decimal:
    value = p[key]
    if not isinstance(value, str):  # a JSON number may already have lost digits as a float
        raise ValueError(f"field {key!r} must be a decimal string, got {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"field {key!r} must be a finite number, got {value!r}")
    return number


def _optional_decimal(p: Mapping[str, Any], key: str) -> Decimal | None:
    return None if p.get(key) is None else _decimal(p, key)
