"""The simulated venue's accounts: wallet balances with locks, linear positions, fees and margin, in exact Decimal."""

from tradewind.domain.venue_accounts.fees import FeeRates, SpotSettlement, linear_fee, spot_settlement
from tradewind.domain.venue_accounts.money import ZERO, exact_context, fmt, initial_margin
from tradewind.domain.venue_accounts.position import (
    FillOutcome,
    LinearPosition,
    PositionRuleError,
    Protection,
    StopKind,
    capped_sizes,
    partial_crossed,
)
from tradewind.domain.venue_accounts.wallet import CoinBalance, InsufficientBalance, Wallet

__all__ = [
    "ZERO",
    "CoinBalance",
    "FeeRates",
    "FillOutcome",
    "InsufficientBalance",
    "LinearPosition",
    "PositionRuleError",
    "Protection",
    "SpotSettlement",
    "StopKind",
    "Wallet",
    "capped_sizes",
    "exact_context",
    "fmt",
    "initial_margin",
    "linear_fee",
    "partial_crossed",
    "spot_settlement",
]
