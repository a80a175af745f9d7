"""Commands of the text language and their outcomes, rendered once for every front end as JSON-able dicts."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from enum import Enum
from typing import Any, get_args

from tradewind.application.commands import CommandService
from tradewind.application.commands.outcomes import (
    Balances,
    BookView,
    DealList,
    HelpText,
    Outcome,
    Stopping,
    SystemStatus,
    TradeList,
    Unsubscribed,
    WouldCreate,
    WouldPublish,
)
from tradewind.application.messages.commands import TRADE_COMMAND
from tradewind.application.ports.command_journal import Receipt, ReceiptStatus
from tradewind.application.ports.market_data import SubscriptionStatus
from tradewind.application.twap.service import JobView
from tradewind.domain.commands import Command, ShowTwap, TwapReport
from tradewind.domain.trading.pnl import PnlReport
from tradewind.domain.trading.status import PositionStatus
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.report import ExecutionReport
from tradewind.interfaces.render.market import book_json, subscription_json
from tradewind.interfaces.render.numbers import at_step
from tradewind.interfaces.render.trading import balances_json, deals_json, pnl_json, status_json, trades_json
from tradewind.interfaces.render.twap import job_json, job_view_json, report_json

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")
_COMMAND_TYPES = get_args(Command)
_LIST_SHOWN = 20  # items of a list a text answer shows


def command_json(command: Command) -> dict[str, Any]:
    """``{"type": "open_trade", ...fields}``: decimals as exact strings, enums as their values."""
    return {"type": _snake(type(command).__name__), **_fields(command)}


def outcome_json(outcome: Outcome, job: TwapJob | None = None) -> Any:
    """The outcome as JSON-able data, in the shapes the other routes answer with; a TWAP report needs its ``job``
    (whose tick size and lot step its numbers print at)."""
    match outcome:
        case TwapJob():
            return job_json(outcome)
        case JobView():
            return job_view_json(outcome)
        case list():
            return [job_json(o) if isinstance(o, TwapJob) else subscription_json(o) for o in outcome]
        case ExecutionReport():
            if job is None:
                raise ValueError("a TWAP report renders with its job")
            return report_json(outcome, job)
        case SubscriptionStatus():
            return subscription_json(outcome)
        case Unsubscribed():
            return {"status": "unsubscribed", **_fields(outcome.ref)}
        case BookView():
            return book_json(outcome)
        case HelpText():
            return {"topic": outcome.topic, "text": outcome.text}
        case SystemStatus():
            return _fields(outcome)
        case WouldPublish():
            return {"dry": True, "topic": outcome.topic, "event": TRADE_COMMAND.encode(outcome.event)}
        case PnlReport():
            return pnl_json(outcome)
        case DealList():
            return deals_json(outcome)
        case TradeList():
            return trades_json(outcome)
        case PositionStatus():
            return status_json(outcome)
        case Balances():
            return balances_json(outcome)
        case WouldCreate():
            job = outcome.job
            plan = [at_step(job.qty_step * lots, job.qty_step) for lots in job.plan]
            return {"dry": True, "job": job_json(job), "slice_sizes": plan}
        case Stopping():
            return {"stopping": True}


def _snake(name: str) -> str:
    return _WORD_START.sub("_", name).lower()


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, _COMMAND_TYPES):
            return command_json(value)  # a command inside a command (--dry): with its type
        return _fields(value)
    return value


class JsonRenderer:
    """The command gate's renderer (``CommandRenderer``): commands and outcomes as JSON, a TWAP report with its job."""

    def __init__(self, commands: CommandService) -> None:
        self._commands = commands

    def command(self, command: Command) -> dict[str, Any]:
        return command_json(command)

    async def outcome(self, command: Command, outcome: Outcome) -> Any:
        job = None
        if isinstance(command, TwapReport):  # the report prints at its job's tick size and lot step
            job = (await self._commands.show_twap(ShowTwap(command.job_id))).job
        return outcome_json(outcome, job)


def receipt_text(receipt: Receipt) -> str:
    """A receipt as a chat or terminal answer: help as its text, an outcome as ``key: value`` lines, else the
    message."""
    prefix = "(already received: nothing was run again)\n" if receipt.repeated else ""
    if receipt.status is not ReceiptStatus.DONE:
        word = {ReceiptStatus.REFUSED: "refused: ", ReceiptStatus.INVALID: "not a command: "}.get(receipt.status, "")
        return prefix + word + receipt.message
    outcome = receipt.outcome
    if isinstance(outcome, dict) and set(outcome) == {"topic", "text"}:
        return prefix + str(outcome["text"])
    return prefix + ("\n".join(_lines(outcome)) or receipt.message)


def _lines(value: Any, indent: str = "") -> list[str]:
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{indent}{key}:", *_lines(item, indent + "  ")]
            else:
                lines.append(f"{indent}{key}: {_scalar(item)}")
        return lines
    if isinstance(value, list):
        if not value:
            return [f"{indent}(none)"]
        return [f"{indent}- {json.dumps(item, separators=(', ', ': '))}" for item in value[:_LIST_SHOWN]] + (
            [f"{indent}... {len(value) - _LIST_SHOWN} more"] if len(value) > _LIST_SHOWN else []
        )
    return [f"{indent}{_scalar(value)}"]


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if not isinstance(value, dict | list) else json.dumps(value)
