"""Root configuration: one YAML file plus ``TRADEWIND_...`` environment overrides, validated at start.

Each component owns its settings model beside its code; this module only assembles them. Unknown
keys are refused everywhere, so a typo in the YAML stops start-up with the key's name.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from tradewind.adapters.exchanges.settings import ExchangesSettings
from tradewind.adapters.logging.config import LoggingSettings
from tradewind.adapters.store.sqlalchemy.database import StoreSettings
from tradewind.application.marketdata.recorder import RecorderSettings
from tradewind.application.marketdata.service import MarketDataSettings
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.application.twap.settings import TwapSettings
from tradewind.application.venue.settings import VenueSettings
from tradewind.domain.commands import InputLimits
from tradewind.domain.numbers import NumberLimits
from tradewind.interfaces.health.settings import DistributedSettings
from tradewind.interfaces.http.settings import HttpSettings
from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings

DEFAULT_CONFIG = Path("tradewind.yaml")


class ConfigError(ValueError):
    """The configuration is invalid; the message names every bad key and what is wrong with it."""


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    refresh_per_second: float = Field(4.0, gt=0, le=30)
    trades_shown: int = Field(12, ge=1, le=100)


class InputSettings(BaseModel):
    """Bounds on the numbers every front end accepts: larger or finer input is refused, never rounded or overflowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # 1e12 is far above any venue's largest order (size, price or notional) and keeps price x size within
    # Decimal's 28 significant digits; 18 places is ETH's wei, the finest unit any venue quotes.
    max_magnitude: Decimal = Field(Decimal(10**12), gt=0, allow_inf_nan=False)
    max_digits: int = Field(28, ge=1, le=28)
    max_places: int = Field(18, ge=0, le=28)
    # A year: longer TWAP runtimes are typos, and the scheduler's clock arithmetic stays far from overflow.
    max_runtime_s: int = Field(366 * 24 * 3600, ge=1, le=10 * 366 * 24 * 3600)
    # A slice a second for a day is 86,400; the job's plan is stored as one row.
    max_slices: int = Field(100_000, ge=1, le=10_000_000)

    def limits(self) -> InputLimits:
        numbers = NumberLimits(self.max_magnitude, self.max_digits, self.max_places)
        return InputLimits(numbers=numbers, max_runtime_s=self.max_runtime_s, max_slices=self.max_slices)


class Settings(BaseSettings):
    """Everything Tradewind reads at start-up."""

    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", env_nested_delimiter="__", extra="forbid", frozen=True)
    yaml_path: ClassVar[Path | None] = None

    mode: Literal["embedded", "distributed"] = "embedded"
    clock: Literal["wall", "sim"] = "wall"
    storage: StoreSettings = StoreSettings()
    recorder: RecorderSettings = RecorderSettings()
    logging: LoggingSettings = LoggingSettings()
    console: ConsoleSettings = ConsoleSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    venue: VenueSettings = VenueSettings()
    sim_exchange: SimExchangeSettings = SimExchangeSettings()
    twap: TwapSettings = TwapSettings()
    exchanges: ExchangesSettings = ExchangesSettings()
    market_data: MarketDataSettings = MarketDataSettings()
    http: HttpSettings = HttpSettings()
    distributed: DistributedSettings = DistributedSettings()
    input: InputSettings = InputSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.yaml_path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=cls.yaml_path))
        return tuple(sources)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (default ``./tradewind.yaml`` when present), apply the environment, validate."""
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    bound = type("BoundSettings", (Settings,), {"yaml_path": path})
    try:
        return bound(**overrides)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except (ValueError, OSError) as exc:  # YAML syntax errors arrive here
        raise ConfigError(f"cannot read config {path}: {exc}") from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = f" in {path}" if path else ""
    lines = [f"invalid configuration{where}:"]
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "(root)"
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        got = "" if error["type"] == "extra_forbidden" else f" (got {error.get('input')!r})"
        lines.append(f"  {key}: {message}{got}")
    return "\n".join(lines)
