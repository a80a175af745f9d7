"""Settings of the trade objects (``trades:``): where the desk runs, how prices reach it, extra risk strategies."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TRADE_COMMANDS = "cmd.trade.#"


class TradesSettings(BaseModel):
    """``enabled`` runs the trade desk in the embedded system (distributed: inside the ``trader`` service)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    # Markets with no md.trade since the last look are asked for their ticker this often.
    poll_interval_s: float = Field(5.0, gt=0, le=3600)
    fill_wait_s: float = Field(10.0, gt=0, le=600)  # how long a market order may take to report its fill
    reply_timeout_s: float = Field(15.0, gt=0, le=600)  # a front end's wait for the desk's answer
    # exchange: SL/TP/trailing also set on the exchange's position where it keeps them (linear); watch: only here.
    protection: Literal["exchange", "watch"] = "exchange"
    # Risk strategies added to every trade, by registry name (built-ins or `tradewind.risk` plug-ins) -> parameter.
    risk: dict[str, Decimal] = Field(default_factory=dict)
