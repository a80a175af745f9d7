"""Settings of the position manager (``trader:``): its queue, the BUY rules' defaults and how positions are guarded."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TRADER_QUEUE = "trader.signals"
SIGNAL_PATTERN = "signal.trade.#"


class TraderSettings(BaseModel):
    """``enabled`` puts the trader in the embedded system (distributed: the ``trader`` service)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    queue: str = Field(TRADER_QUEUE, min_length=1, max_length=200)  # the durable work queue of signals
    pattern: str = SIGNAL_PATTERN  # which signals it takes
    # A BUY is refused for this long after the close of the symbol and source's last position.
    cooling_period_s: float = Field(3600, ge=0, le=30 * 24 * 3600)
    take_profit_pct: Decimal = Field(Decimal(3), gt=0, le=1000, allow_inf_nan=False)  # when the signal has none
    stop_loss_pct: Decimal = Field(Decimal(2), gt=0, lt=100, allow_inf_nan=False)
    trailing_stop_pct: Decimal | None = Field(None, gt=0, lt=100, allow_inf_nan=False)  # of the entry; None: none
    leverage: Decimal | None = Field(None, ge=1, le=100, allow_inf_nan=False)  # set on linear symbols before a BUY
    # exchange: SL/TP set on the exchange's position where it can (linear), watched by the trader elsewhere;
    # watch: always watched by the trader (md.trade of the symbol).
    protection: Literal["exchange", "watch"] = "exchange"
    # How often positions protected on the exchange are checked for a stop-loss / take-profit close.
    sync_interval_s: float = Field(5.0, gt=0, le=3600)
    fill_wait_s: float = Field(10.0, gt=0, le=600)  # how long a market order may take to report its fill
    # A signal's exchange word -> the `exchanges` entry that trades it, where they differ (distributed: strategies
    # on the sim-exchange service's `md.trade.sim.*` trade through a Bybit entry on its server: {sim: simsrv}).
    exchanges: dict[str, str] = Field(default_factory=dict)
