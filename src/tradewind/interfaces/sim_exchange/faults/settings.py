"""Configuration of the simulator's faults (the ``sim_exchange.faults`` key): a seed and a list of rules.

Each rule names its ``kind``; ``params`` holds that kind's parameters only, so a misspelt key or one that belongs
to another kind is refused with the rule's position and kind in the message. The admin route validates with the
same model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class FaultKind(StrEnum):
    # REST (Bybit and Binance faces)
    LATENCY = "latency"
    TIMEOUT_BEFORE = "timeout_before"  # held, then the connection dropped; nothing done
    TIMEOUT_AFTER = "timeout_after"  # the request is served, then the connection dropped: the ambiguous case
    RATE_LIMIT = "rate_limit"
    CLOCK_SKEW = "clock_skew"
    SERVER_ERROR = "server_error"
    MAINTENANCE = "maintenance"
    # the venue
    ODD_PARTIAL_FILLS = "odd_partial_fills"
    # private WebSocket
    LATE_REPORT = "late_report"
    # public WebSocket
    DISCONNECT = "disconnect"
    STALL = "stall"
    DROP_DELTA = "drop_delta"
    REORDER_DELTA = "reorder_delta"


REST_KINDS = frozenset(
    {
        FaultKind.LATENCY,
        FaultKind.TIMEOUT_BEFORE,
        FaultKind.TIMEOUT_AFTER,
        FaultKind.RATE_LIMIT,
        FaultKind.CLOCK_SKEW,
        FaultKind.SERVER_ERROR,
        FaultKind.MAINTENANCE,
    }
)
PUBLIC_WS_KINDS = frozenset({FaultKind.DISCONNECT, FaultKind.STALL, FaultKind.DROP_DELTA, FaultKind.REORDER_DELTA})


class _Params(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NoParams(_Params):
    """Kinds with nothing to set (disconnect, drop_delta, reorder_delta, maintenance)."""


class LatencyParams(_Params):
    """``fixed``: ``ms``; ``uniform``: ``ms``..``max_ms``; ``pareto`` / ``lognormal``: heavy-tailed, capped."""

    dist: Literal["fixed", "uniform", "pareto", "lognormal"] = "fixed"
    ms: int = Field(default=100, ge=0, le=600_000)  # the delay (fixed), the lower end (uniform), the scale (others)
    max_ms: int | None = Field(default=None, ge=0, le=600_000)  # uniform's upper end
    alpha: float = Field(default=1.5, gt=0, le=100)  # pareto's shape: smaller is heavier
    sigma: float = Field(default=1.0, gt=0, le=10)  # lognormal's spread
    cap_ms: int = Field(default=10_000, ge=0, le=600_000)  # no delay is longer

    @model_validator(mode="after")
    def _range(self) -> LatencyParams:
        if self.dist == "uniform" and (self.max_ms is None or self.max_ms < self.ms):
            raise ValueError("uniform latency needs max_ms >= ms")
        return self


class TimeoutParams(_Params):
    hold_ms: int = Field(default=0, ge=0, le=600_000)  # how long the request hangs before the connection drops


class RateLimitParams(_Params):
    limit: int = Field(default=10, ge=1)  # what the X-Bapi-Limit header says
    reset_ms: int = Field(default=1000, ge=0, le=600_000)  # the reset timestamp is this far ahead


class ClockSkewParams(_Params):
    skew_ms: int = Field(ge=-86_400_000, le=86_400_000)  # the server's clock runs this far ahead (negative: behind)


class ServerErrorParams(_Params):
    status: int = Field(default=503, ge=500, le=599)


class OddFillParams(_Params):
    max_pieces: int = Field(default=5, ge=2, le=50)  # a taker fill is cut into 2..max_pieces executions


class LateReportParams(_Params):
    delay_ms: int = Field(default=500, ge=1, le=600_000)


class StallParams(_Params):
    stall_ms: int = Field(default=2000, ge=1, le=600_000)


PARAMS: dict[FaultKind, type[_Params]] = {
    FaultKind.LATENCY: LatencyParams,
    FaultKind.TIMEOUT_BEFORE: TimeoutParams,
    FaultKind.TIMEOUT_AFTER: TimeoutParams,
    FaultKind.RATE_LIMIT: RateLimitParams,
    FaultKind.CLOCK_SKEW: ClockSkewParams,
    FaultKind.SERVER_ERROR: ServerErrorParams,
    FaultKind.MAINTENANCE: NoParams,
    FaultKind.ODD_PARTIAL_FILLS: OddFillParams,
    FaultKind.LATE_REPORT: LateReportParams,
    FaultKind.DISCONNECT: NoParams,
    FaultKind.STALL: StallParams,
    FaultKind.DROP_DELTA: NoParams,
    FaultKind.REORDER_DELTA: NoParams,
}
FaultParams = (
    NoParams | LatencyParams | TimeoutParams | RateLimitParams | ClockSkewParams | ServerErrorParams
    | OddFillParams | LateReportParams | StallParams
)  # fmt: skip


class FaultRuleSettings(BaseModel):
    """One rule: what goes wrong (``kind``, ``params``), for whom (``account``, ``route``), how often and when.

    ``route`` is a glob on the REST path (``/v5/order/*``), the WebSocket topic (``orderbook.50.BTCUSDT``), the
    private topic (``order``, ``execution``) or, for ``odd_partial_fills``, the market (``spot.BTCUSDT``).
    The window is ``start_ms``..``end_ms`` on the venue clock, or ``for_s`` seconds from when the plan was installed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    account: str | None = None  # an API key; None: every caller (public streams have none)
    route: str = Field(default="*", min_length=1, max_length=200)
    probability: float = Field(default=1.0, ge=0, le=1, allow_inf_nan=False)
    count: int | None = Field(default=None, ge=1)  # fires at most this many times
    start_ms: int | None = Field(default=None, ge=0)
    end_ms: int | None = Field(default=None, ge=0)
    for_s: float | None = Field(default=None, gt=0, le=10**7, allow_inf_nan=False)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _checked(self) -> FaultRuleSettings:
        if self.for_s is not None and (self.start_ms is not None or self.end_ms is not None):
            raise ValueError("give the window as start_ms/end_ms or as for_s, not both")
        if self.start_ms is not None and self.end_ms is not None and self.end_ms <= self.start_ms:
            raise ValueError(f"end_ms {self.end_ms} is not after start_ms {self.start_ms}")
        self.typed_params()  # refuses a parameter the kind does not have, naming it
        return self

    def typed_params(self) -> FaultParams:
        model = PARAMS[self.kind]
        try:
            return model.model_validate(self.params)  # type: ignore[return-value]
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{self.kind.value} params: {problems}") from None


class FaultSettings(BaseModel):
    """``seed`` makes every draw replayable; ``rules`` are tried in order (an empty list costs nothing per request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    rules: tuple[FaultRuleSettings, ...] = ()


def validation_message(exc: ValidationError) -> str:
    """The first problem of a fault plan as one line: where it is and what is wrong."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "faults"
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    line = f"{where}: {message}{more}"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)[:500]  # a key may hold a newline
