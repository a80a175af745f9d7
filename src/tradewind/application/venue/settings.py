"""Configuration of the simulated venue: accounts with their keys and balances, fees, leverage, retention."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from tradewind.domain.values import Category
from tradewind.domain.venue_accounts import FeeRates
from tradewind.domain.venue_accounts.perp import FundingParams


class MarginMode(StrEnum):
    """Bybit's unified account margin modes (``/v5/account/info`` ``marginMode``)."""

    ISOLATED = "ISOLATED_MARGIN"  # each position can lose only its own initial margin
    CROSS = "REGULAR_MARGIN"  # the whole USDT balance backs every position


class PerpSettings(BaseModel):
    """Funding, mark price and liquidation of the venue's linear perpetuals (Bybit's defaults for BTCUSDT)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    funding_interval_hours: int = Field(default=8, ge=1, le=24)
    interest_rate: Decimal = Field(default=Decimal("0.0001"), ge=-1, le=1)  # per interval
    clamp: Decimal = Field(default=Decimal("0.0005"), ge=0, le=1)  # bound of (interest - premium)
    cap: Decimal = Field(default=Decimal("0.00375"), gt=0, le=1)  # bound of the funding rate
    maintenance_rate: Decimal = Field(default=Decimal("0.005"), gt=0, lt=1)
    sample_s: int = Field(default=60, ge=1, le=3_600)  # the premium index is sampled this often
    basis_samples: int = Field(default=30, ge=1, le=10_000)  # moving average of the basis for the mark price
    funding_history: int = Field(default=1_000, ge=1)  # settled rates kept per symbol

    def params(self) -> FundingParams:
        return FundingParams(
            self.funding_interval_hours * 3_600_000, self.interest_rate, self.clamp, self.cap, self.maintenance_rate
        )


class AccountSettings(BaseModel):
    """One API key pair and the unified wallet it trades; ``balances`` are the starting amounts per coin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    api_secret: SecretStr
    balances: dict[str, Decimal] = Field(default_factory=dict)
    uid: int | None = None  # shown by the account probes; defaults to the account's position in the list
    margin_mode: MarginMode = MarginMode.CROSS  # as a new Bybit unified account

    @field_validator("balances")
    @classmethod
    def _non_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for coin, amount in value.items():
            if not coin.isalnum() or coin.upper() != coin:
                raise ValueError(f"coin names are upper-case letters and digits, got {coin!r}")
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"balance of {coin} must be a finite amount >= 0, got {amount}")
        return value

    @field_validator("api_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("api_secret must not be empty")
        return value


class FeeSettings(BaseModel):
    """Maker and taker fee rates of one category, as fractions (0.001 = 0.1 %)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maker: Decimal = Field(ge=Decimal("-0.01"), le=Decimal("0.1"))
    taker: Decimal = Field(ge=Decimal(0), le=Decimal("0.1"))

    def rates(self) -> FeeRates:
        return FeeRates(self.maker, self.taker)


def _default_accounts() -> tuple[AccountSettings, ...]:
    return (
        AccountSettings(
            api_key="tradewind-demo-key",
            api_secret=SecretStr("tradewind-demo-secret"),
            balances={"USDT": Decimal(100_000), "BTC": Decimal(1), "ETH": Decimal(10)},
        ),
    )


def _default_fees() -> dict[Category, FeeSettings]:
    return {
        Category.SPOT: FeeSettings(maker=Decimal("0.001"), taker=Decimal("0.001")),
        Category.LINEAR: FeeSettings(maker=Decimal("0.0002"), taker=Decimal("0.00055")),
    }


class VenueSettings(BaseModel):
    """The simulated Bybit venue: who can trade, what it costs, how much history is kept."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accounts: tuple[AccountSettings, ...] = Field(default_factory=_default_accounts)
    fees: dict[Category, FeeSettings] = Field(default_factory=_default_fees)
    default_leverage: Decimal = Field(default=Decimal(10), ge=1, le=100)
    max_leverage: Decimal = Field(default=Decimal(100), ge=1, le=200)
    max_open_orders: int = Field(default=500, ge=1)  # per account and symbol, as Bybit
    history_size: int = Field(default=10_000, ge=10)  # closed orders and executions kept per account
    kline_minutes: int = Field(default=20_160, ge=60)  # one-minute bars kept per market (14 days)
    recent_trades: int = Field(default=1_000, ge=1)  # public trades kept per market
    perp: PerpSettings = Field(default_factory=PerpSettings)

    @field_validator("fees")
    @classmethod
    def _complete_fees(cls, value: dict[Category, FeeSettings]) -> dict[Category, FeeSettings]:
        return {**_default_fees(), **value}  # a category left out keeps Bybit's default rates

    @model_validator(mode="after")
    def _check(self) -> VenueSettings:
        keys = [a.api_key for a in self.accounts]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"duplicate api_key in venue accounts: {', '.join(duplicates)}")
        if self.default_leverage > self.max_leverage:
            raise ValueError("default_leverage must not exceed max_leverage")
        return self
