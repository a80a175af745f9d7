"""What the signal engine asks the trading engine (a spread order) and what it answers (ACK / NACK), and their
JSON payloads (decimals as strings). Also a funding payment reported for a leg, and a perpetual's funding settlement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradewind.domain.market import InstrumentRef
from tradewind.domain.spread.groups import Pair
from tradewind.domain.spread.position import Spread, SpreadState
from tradewind.domain.values import Category, Side


class SpreadAction(StrEnum):
    OPEN = "open"  # buy the long leg, sell the short leg
    CLOSE = "close"  # sell the long leg, buy the short leg back


class Verdict(StrEnum):
    ACK = "ack"
    NACK = "nack"


class LegStatus(StrEnum):
    SIMULATED = "simulated"  # simulated mode: filled at the quoted price, no exchange order
    FILLED = "filled"
    PARTIAL = "partial"
    FAILED = "failed"  # the venue refused it, or nothing filled
    UNKNOWN = "unknown"  # the venue did not answer: reconciled later
    UNWOUND = "unwound"  # filled, then sold back at market because the other leg failed


@dataclass(frozen=True, slots=True)
class SpreadOrder:
    """Trade ``qty`` of both legs of ``pair`` at (no worse than, in simulated mode exactly) the quoted prices."""

    request_id: str
    spread_id: str
    action: SpreadAction
    pair: Pair
    qty: Decimal
    long_price: Decimal
    short_price: Decimal
    ts_ns: int

    def __post_init__(self) -> None:
        if not self.request_id or not self.spread_id:
            raise ValueError("request_id and spread_id must not be empty")
        if self.qty <= 0 or self.long_price <= 0 or self.short_price <= 0:
            raise ValueError("qty and prices must be positive")

    def side(self, leg: InstrumentRef) -> Side:
        buy_long = self.action is SpreadAction.OPEN
        return (Side.BUY if buy_long else Side.SELL) if leg == self.pair.long else (Side.SELL if buy_long else Side.BUY)


@dataclass(frozen=True, slots=True)
class LegOutcome:
    exchange: str
    category: Category
    symbol: str
    side: Side
    qty: Decimal
    filled_qty: Decimal
    price: Decimal | None
    fee: Decimal
    status: LegStatus
    client_order_id: str = ""
    unwound_qty: Decimal = Decimal(0)
    unwind_price: Decimal | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SpreadReply:
    """ACK: both legs done (``legs`` give the fills); NACK: nothing left open, ``reason`` says why."""

    request_id: str
    verdict: Verdict
    reason: str = ""
    legs: tuple[LegOutcome, ...] = ()
    duplicate_of: Verdict | None = None  # a repeated request id: the first answer's verdict

    @property
    def acked(self) -> bool:
        return self.verdict is Verdict.ACK or self.duplicate_of is Verdict.ACK


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """Funding on a perpetual position as the venue reports it (Bybit: a SETTLEMENT row of the transaction log)."""

    funding_id: str
    exchange: str
    category: Category
    symbol: str
    amount: Decimal  # received positive, paid negative, for the account's whole position
    ts_ns: int


@dataclass(frozen=True, slots=True)
class FundingSettlement:
    """One settled funding interval of a perpetual: every position pays size x mark x rate (a long pays a positive
    rate). ``funding_id`` names the settlement, the same for every account, so it is counted once."""

    funding_id: str
    exchange: str
    category: Category
    symbol: str
    rate: Decimal
    mark: Decimal
    ts_ns: int

    def __post_init__(self) -> None:
        if not self.funding_id:
            raise ValueError("funding_id must not be empty")
        if self.mark <= 0:
            raise ValueError(f"mark price must be positive, got {self.mark}")


def settlement_id(exchange: str, symbol: str, ts_ms: int) -> str:
    """A settlement's id: its exchange, symbol and time (a venue settles a symbol once per time)."""
    return f"settle:{exchange}:{symbol}:{ts_ms}"


def _ref(ref: InstrumentRef) -> dict[str, Any]:
    return {"exchange": ref.exchange, "category": ref.category.value, "symbol": ref.symbol, "key": ref.matching_key}


def _ref_from(p: Mapping[str, Any]) -> InstrumentRef:
    return InstrumentRef(str(p["exchange"]), Category(p["category"]), str(p["symbol"]), str(p.get("key", "")))


def _dec(raw: Any) -> Decimal:
    if not isinstance(raw, str):
        raise ValueError(f"expected a decimal string, got {type(raw).__name__}")
    value = Decimal(raw)
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {raw!r}")
    return value


def _ts_ns(p: Mapping[str, Any]) -> int:
    ts = p["ts_ns"]
    if not isinstance(ts, int) or isinstance(ts, bool):
        raise ValueError("ts_ns must be an integer")
    return ts


def _opt(raw: Any) -> Decimal | None:
    return None if raw is None else _dec(raw)


def order_to_payload(o: SpreadOrder) -> dict[str, Any]:
    return {
        "request_id": o.request_id, "spread_id": o.spread_id, "action": o.action.value,
        "long": _ref(o.pair.long), "short": _ref(o.pair.short), "qty": str(o.qty),
        "long_price": str(o.long_price), "short_price": str(o.short_price), "ts_ns": o.ts_ns,
    }  # fmt: skip


def order_from_payload(p: Mapping[str, Any]) -> SpreadOrder:
    ts = _ts_ns(p)
    return SpreadOrder(
        str(p["request_id"]), str(p["spread_id"]), SpreadAction(p["action"]),
        Pair(_ref_from(p["long"]), _ref_from(p["short"])), _dec(p["qty"]),
        _dec(p["long_price"]), _dec(p["short_price"]), ts,
    )  # fmt: skip


def _leg(leg: LegOutcome) -> dict[str, Any]:
    return {
        "exchange": leg.exchange, "category": leg.category.value, "symbol": leg.symbol, "side": leg.side.value,
        "qty": str(leg.qty), "filled_qty": str(leg.filled_qty),
        "price": None if leg.price is None else str(leg.price), "fee": str(leg.fee), "status": leg.status.value,
        "client_order_id": leg.client_order_id, "unwound_qty": str(leg.unwound_qty),
        "unwind_price": None if leg.unwind_price is None else str(leg.unwind_price), "detail": leg.detail,
    }  # fmt: skip


def _leg_from(p: Mapping[str, Any]) -> LegOutcome:
    return LegOutcome(
        str(p["exchange"]), Category(p["category"]), str(p["symbol"]), Side(p["side"]), _dec(p["qty"]),
        _dec(p["filled_qty"]), _opt(p["price"]), _dec(p["fee"]), LegStatus(p["status"]),
        str(p.get("client_order_id", "")), _dec(p.get("unwound_qty", "0")), _opt(p.get("unwind_price")),
        str(p.get("detail", "")),
    )  # fmt: skip


def reply_to_payload(r: SpreadReply) -> dict[str, Any]:
    return {
        "request_id": r.request_id, "verdict": r.verdict.value, "reason": r.reason,
        "legs": [_leg(leg) for leg in r.legs],
        "duplicate_of": None if r.duplicate_of is None else r.duplicate_of.value,
    }  # fmt: skip


def reply_from_payload(p: Mapping[str, Any]) -> SpreadReply:
    legs = p.get("legs", [])
    if not isinstance(legs, list):
        raise ValueError("legs must be a list")
    duplicate = p.get("duplicate_of")
    return SpreadReply(
        str(p["request_id"]), Verdict(p["verdict"]), str(p.get("reason", "")), tuple(_leg_from(leg) for leg in legs),
        None if duplicate is None else Verdict(duplicate),
    )  # fmt: skip


def funding_to_payload(f: FundingPayment) -> dict[str, Any]:
    return {
        "funding_id": f.funding_id, "exchange": f.exchange, "category": f.category.value, "symbol": f.symbol,
        "amount": str(f.amount), "ts_ns": f.ts_ns,
    }  # fmt: skip


def funding_from_payload(p: Mapping[str, Any]) -> FundingPayment:
    ts = _ts_ns(p)
    return FundingPayment(
        str(p["funding_id"]), str(p["exchange"]), Category(p["category"]), str(p["symbol"]), _dec(p["amount"]), ts
    )


def settlement_to_payload(f: FundingSettlement) -> dict[str, Any]:
    return {
        "funding_id": f.funding_id, "exchange": f.exchange, "category": f.category.value, "symbol": f.symbol,
        "rate": str(f.rate), "mark": str(f.mark), "ts_ns": f.ts_ns,
    }  # fmt: skip


def settlement_from_payload(p: Mapping[str, Any]) -> FundingSettlement:
    ts = _ts_ns(p)
    return FundingSettlement(
        str(p["funding_id"]), str(p["exchange"]), Category(p["category"]), str(p["symbol"]), _dec(p["rate"]),
        _dec(p["mark"]), ts,
    )  # fmt: skip


def spread_to_payload(s: Spread) -> dict[str, Any]:
    return {
        "spread_id": s.spread_id, "long": _ref(s.pair.long), "short": _ref(s.pair.short), "state": s.state.value,
        "opened_ns": s.opened_ns, "qty": str(s.qty), "long_cost": str(s.long_cost),
        "short_proceeds": str(s.short_proceeds), "realised": str(s.realised), "fees": str(s.fees),
        "funding": str(s.funding), "traded_qty": str(s.traded_qty), "updated_ns": s.updated_ns,
        "closed_ns": s.closed_ns,
    }  # fmt: skip


def spread_from_payload(p: Mapping[str, Any]) -> Spread:
    closed = p.get("closed_ns")
    return Spread(
        str(p["spread_id"]), Pair(_ref_from(p["long"]), _ref_from(p["short"])), SpreadState(p["state"]),
        int(p["opened_ns"]), _dec(p["qty"]), _dec(p["long_cost"]), _dec(p["short_proceeds"]), _dec(p["realised"]),
        _dec(p["fees"]), _dec(p["funding"]), _dec(p["traded_qty"]), int(p["updated_ns"]),
        None if closed is None else int(closed),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExposureRow:
    exchange: str
    category: Category
    symbol: str
    qty: Decimal  # signed base quantity
    notional: Decimal


@dataclass(frozen=True, slots=True)
class SpreadBook:
    """The trading engine's view: spreads (newest first), exposure by instrument and the total, the mode."""

    mode: str
    spreads: tuple[Spread, ...]
    exposure: tuple[ExposureRow, ...]
    total_exposure: Decimal
    buffered_writes: int = 0

    @property
    def realised(self) -> Decimal:
        """Realised PnL of the spreads shown, net of fees, funding included."""
        return sum((s.net_realised for s in self.spreads), Decimal(0))


@dataclass(frozen=True, slots=True)
class SpreadQuery:
    open_only: bool = False
    limit: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= 10_000:
            raise ValueError(f"limit must be within 1..10000, got {self.limit}")


def query_to_payload(q: SpreadQuery) -> dict[str, Any]:
    return {"open_only": q.open_only, "limit": q.limit}


def query_from_payload(p: Mapping[str, Any]) -> SpreadQuery:
    open_only, limit = p.get("open_only", False), p.get("limit", 100)
    if not isinstance(open_only, bool) or not isinstance(limit, int) or isinstance(limit, bool):
        raise ValueError("open_only must be a boolean and limit an integer")
    return SpreadQuery(open_only, limit)


def book_to_payload(b: SpreadBook) -> dict[str, Any]:
    return {
        "mode": b.mode,
        "spreads": [spread_to_payload(s) for s in b.spreads],
        "exposure": [
            {"exchange": e.exchange, "category": e.category.value, "symbol": e.symbol, "qty": str(e.qty),
             "notional": str(e.notional)}
            for e in b.exposure
        ],
        "total_exposure": str(b.total_exposure),
        "buffered_writes": b.buffered_writes,
    }  # fmt: skip


def book_from_payload(p: Mapping[str, Any]) -> SpreadBook:
    exposure = tuple(
        ExposureRow(str(e["exchange"]), Category(e["category"]), str(e["symbol"]), _dec(e["qty"]), _dec(e["notional"]))
        for e in p["exposure"]
    )
    spreads = tuple(spread_from_payload(s) for s in p["spreads"])
    return SpreadBook(str(p["mode"]), spreads, exposure, _dec(p["total_exposure"]), int(p.get("buffered_writes", 0)))
