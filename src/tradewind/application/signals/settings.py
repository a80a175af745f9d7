"""Settings of the producers: the configured strategy instances (``strategies:``) and how they run (``producer:``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradewind.domain.candles import check_interval
from tradewind.domain.signals.strategy import StrategySpec
from tradewind.domain.values import Category

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # what a signal's source may be


class StrategySettings(BaseModel):
    """One strategy instance: ``id`` is its signals' source; ``name`` the strategy (built-in or a plug-in's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=64)
    exchange: str = Field("sim", pattern=r"^[a-z0-9_-]+$")  # the md.trade.<exchange> word of its market
    category: Category = Category.LINEAR
    symbol: str = Field("BTCUSDT", pattern=r"^[A-Za-z0-9]{1,64}$")
    interval: int = 1  # minutes: 1, 3, 5, 15, 30, 60, 120, 240, 360, 720 or 1440
    amount_quote: Decimal = Field(gt=0, allow_inf_nan=False)
    params: dict[str, Any] = Field(default_factory=dict)
    # The `exchanges` entry whose kline history warms the strategy up at start (default: `exchange`); none: cold.
    history_exchange: str | None = None
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        return check_interval(value)

    def spec(self) -> StrategySpec:
        return StrategySpec(
            self.id, self.name, self.exchange, self.category, self.symbol, self.interval, self.amount_quote,
            dict(self.params),
        )  # fmt: skip


class ProducerSettings(BaseModel):
    """How producers run; ``enabled`` puts one in the embedded system (distributed: the ``producer`` service)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True  # in the embedded system, when a strategy instance is configured and enabled
    # The instances one producer runs: those whose id or strategy name this is (``--strategy``); None: every one.
    strategy: str | None = None
    history_candles: int = Field(500, ge=1, le=10_000)  # candles kept per strategy (fetched at start too)
    warm_up: bool = True  # fetch the kline history at start; off: every strategy starts cold
    # A candle closes this long after its end, so trades still on their way join it; later ones are dropped.
    close_delay_s: float = Field(1.0, ge=0, le=60)
    publish_candles: bool = True  # closed candles go on the bus as md.candle (the storage service records them)
