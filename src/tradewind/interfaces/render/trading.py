"""The trader's outcomes as JSON-able dicts and text lines: positions with PnL, deals, position status, balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradewind.application.commands.outcomes import Balances, DealList, TradeList
from tradewind.domain.trading.deals import Deal
from tradewind.domain.trading.events import EventKind, Origin, TradeEvent
from tradewind.domain.trading.pnl import PnlReport
from tradewind.domain.trading.status import PositionStatus
from tradewind.domain.trading.trades import CLOSED_BY_EXCHANGE, Trade
from tradewind.interfaces.render.numbers import at_step


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize() if value else Decimal(0), "f")


def deal_json(d: Deal) -> dict[str, Any]:
    return {
        "id": d.id, "created_ns": d.created_ns, "exchange": d.exchange, "category": d.category.value,
        "symbol": d.symbol, "source": d.source, "signal_id": d.signal_id, "action": d.action.value,
        "client_order_id": d.client_order_id, "exchange_order_id": d.exchange_order_id, "status": d.status.value,
        "amount_quote": _num(d.amount_quote), "qty": _num(d.qty), "price": _num(d.price), "fee": _num(d.fee),
        "take_profit": _num(d.take_profit), "stop_loss": _num(d.stop_loss), "take_profit_hit": d.take_profit_hit,
        "stop_loss_hit": d.stop_loss_hit, "manually_closed": d.manually_closed, "protection": d.protection.value,
        "closed_ns": d.closed_ns, "close_price": _num(d.close_price), "close_fee": _num(d.close_fee),
        "realised_pnl": _num(d.realised_pnl()), "note": d.note, "tp_order_id": d.tp_order_id,
        "sl_order_id": d.sl_order_id, "best_price": _num(d.best_price), "trailing_stop_hit": d.trailing_stop_hit,
    }  # fmt: skip


def trade_json(t: Trade) -> dict[str, Any]:
    """A trade object: its risk strategies (name -> parameter), entry, best price since entry and, once closed, why."""
    return {
        "id": t.id, "key": t.key, "created_ns": t.created_ns, "exchange": t.exchange, "category": t.category.value,
        "symbol": t.symbol, "side": t.side.value, "qty": _num(t.qty), "status": t.status.value,
        "risk": {name: _num(value) for name, value in t.risk.items()}, "entry_price": _num(t.entry_price),
        "best_price": _num(t.best_price), "fee": _num(t.fee), "protected_on_exchange": t.protected_on_exchange,
        "closed_ns": t.closed_ns, "close_price": _num(t.close_price), "close_fee": _num(t.close_fee),
        "close_reason": t.close_reason, "pnl": _num(t.pnl()) if t.close_price is not None else None, "note": t.note,
        "tp_order_id": t.tp_order_id, "sl_order_id": t.sl_order_id, "closed_by_exchange": t.closed_by_exchange,
        "closed_qty": _num(t.closed_qty), "open_qty": _num(t.open_qty), "missing_qty": _num(t.missing_qty),
    }  # fmt: skip


def trades_json(outcome: TradeList) -> list[dict[str, Any]]:
    return [trade_json(t) for t in outcome.trades]


def deals_json(outcome: DealList) -> list[dict[str, Any]]:
    return [deal_json(d) for d in outcome.deals]


def pnl_json(report: PnlReport) -> dict[str, Any]:
    return {
        "positions": [
            {**deal_json(p.deal), "mark": _num(p.mark), "unrealised_pnl": _num(p.unrealised)} for p in report.positions
        ],
        "by_source": {
            source: {
                "realised": _num(pnl.realised),
                "unrealised": _num(pnl.unrealised),
                "total": _num(pnl.total),
                "open_positions": pnl.open_positions,
                "closed_positions": pnl.closed_positions,
            }
            for source, pnl in report.by_source.items()
        },
        "total": {
            "realised": _num(report.realised),
            "unrealised": _num(report.unrealised),
            "total": _num(report.total),
        },
        "differences": list(report.differences),
    }


def status_json(status: PositionStatus) -> dict[str, Any]:
    return {
        "has_open_position": status.has_open_position,
        "open_position": None if status.open_position is None else deal_json(status.open_position),
        "recently_closed": status.recently_closed,
        "can_open_new": status.can_open_new,
    }


def balances_json(outcome: Balances) -> dict[str, Any]:
    return {
        "balances": {
            exchange: {
                coin: {"total": _num(b.total), "free": _num(b.free), "locked": _num(b.locked)}
                for coin, b in coins.items()
            }
            for exchange, coins in outcome.by_exchange.items()
        },
        "errors": dict(outcome.errors),
    }


def positions_lines(data: dict[str, Any]) -> list[str]:
    """``tradewind positions`` as text, from the JSON ``GET /positions`` answers."""
    lines = [f"{'source':<16} {'symbol':<12} {'qty':>12} {'entry':>12} {'mark':>12} {'SL':>12} {'TP':>12} "
             f"{'unrealised':>12}  protection"]  # fmt: skip
    for p in data["positions"]:
        lines.append(
            f"{p['source']:<16} {p['symbol']:<12} {p['qty']:>12} {p['price'] or '-':>12} {p['mark'] or '-':>12} "
            f"{p['stop_loss'] or '-':>12} {p['take_profit'] or '-':>12} {p['unrealised_pnl']:>12}  {p['protection']}"
        )
    for source, pnl in data["by_source"].items():
        lines.append(f"{source}: realised {pnl['realised']}, unrealised {pnl['unrealised']}, total {pnl['total']}")
    total = data["total"]
    lines.append(f"total: realised {total['realised']}, unrealised {total['unrealised']}, total {total['total']}")
    lines.extend(f"difference: {d}" for d in data["differences"])
    return lines


def trades_lines(data: list[dict[str, Any]]) -> list[str]:
    """``tradewind trades`` as text, from the JSON ``GET /trades`` answer."""
    lines = [f"{'id':>5} {'status':<8} {'exchange':<10} {'symbol':<10} {'side':<5} {'qty':>12} {'entry':>12} "
             f"{'best':>12} {'close':>12}  risk"]  # fmt: skip
    for t in data:
        risk = ",".join(f"{name}={value}" for name, value in t["risk"].items())
        lines.append(
            f"{t['id']:>5} {t['status']:<8} {t['exchange']:<10} {t['symbol']:<10} {t['side']:<5} {t['qty']:>12} "
            f"{t['entry_price'] or '-':>12} {t['best_price'] or '-':>12} {t['close_price'] or '-':>12}  {risk}"
        )
    return lines


def deals_lines(data: list[dict[str, Any]]) -> list[str]:
    """``tradewind deals`` as text, from the JSON ``GET /deals`` answers."""
    lines = [f"{'id':>5} {'action':<5} {'status':<8} {'source':<16} {'symbol':<10} {'qty':>10} {'price':>12} "
             f"{'close':>12} {'pnl':>10}  flags"]  # fmt: skip
    for d in data:
        flags = ",".join(
            name for name in ("take_profit_hit", "stop_loss_hit", "trailing_stop_hit", "manually_closed") if d.get(name)
        )
        lines.append(
            f"{d['id']:>5} {d['action']:<5} {d['status']:<8} {d['source']:<16} {d['symbol']:<10} {d['qty']:>10} "
            f"{d['price'] or '-':>12} {d['close_price'] or '-':>12} {d['realised_pnl']:>10}  {flags}"
        )
    return lines


def trade_event_text(e: TradeEvent) -> str:
    """A trade or deal opened or closed as one chat line: the size at the lot step, prices at the tick size, money at
    the notional's step (tick x lot), the close's reason in words."""
    money = e.tick_size * e.qty_step
    what = f"Trade {e.id}" if e.origin is Origin.DESK else f"Deal {e.id} ({e.source})"
    where = f"{e.exchange} {e.category.value}"
    size = f"{e.side.value} {at_step(e.qty, e.qty_step)} {e.symbol}"
    fees = f"fees {at_step(e.fees, money)} {e.quote}"
    if e.kind is EventKind.OPENED or e.exit_price is None or e.pnl is None:
        return f"{what} opened on {where}: {size} at {at_step(e.entry_price, e.tick_size)}, {fees}"
    if e.reason == CLOSED_BY_EXCHANGE:  # the desk saw the position gone: which of its levels, the exchange knows
        why = "by the exchange's protection"
    else:
        why = (e.reason.replace("_", " ") or "closed") + (" on the exchange" if e.by_exchange else "")
    pnl = at_step(e.pnl, money)
    rest = ""
    closed = at_step(e.qty if e.closed_qty is None else e.closed_qty, e.qty_step)
    if closed != at_step(e.qty, e.qty_step):  # closed in parts (dust below one lot aside): what its own fills closed
        size = f"{e.side.value} {closed} of {at_step(e.qty, e.qty_step)} {e.symbol}"
        if at_step(e.missing_qty, e.qty_step) != at_step(Decimal(0), e.qty_step):
            rest += f", {at_step(e.missing_qty, e.qty_step)} closed elsewhere (no PnL counted for it)"
        if e.open_qty:
            rest += f", {at_step(e.open_qty, e.qty_step)} still open"
    verb = "partly closed" if e.kind is EventKind.PARTLY_CLOSED else "closed"
    return (
        f"{what} {verb} ({why}) on {where}: {size} at {at_step(e.entry_price, e.tick_size)} -> "
        f"{at_step(e.exit_price, e.tick_size)}, PnL {'' if pnl.startswith('-') else '+'}{pnl} {e.quote}, {fees}{rest}"
    )
