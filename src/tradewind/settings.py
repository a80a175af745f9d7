"""Root configuration: one YAML file plus ``TRADEWIND_...`` environment overrides, validated at start.

Each component owns its settings model beside its code; this module only assembles them. Unknown
keys are refused everywhere, so a typo in the YAML stops start-up with the key's name. pydantic-settings reads the
sources (``ProcessSettings``); ``tradewind.config`` holds the file machinery and the reading verbs' lighter loader.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from tradewind.adapters.exchanges.settings import ExchangesSettings
from tradewind.adapters.logging.redaction import mask_secrets, mask_url
from tradewind.adapters.logging.settings import LoggingSettings
from tradewind.adapters.store.lake.settings import LakeSettings
from tradewind.adapters.store.settings import StoreSettings
from tradewind.application.commands.settings import CommandsSettings
from tradewind.application.marketdata.settings import MarketDataSettings, RecorderSettings
from tradewind.application.plugin_settings import PluginsSettings
from tradewind.application.signals.settings import ProducerSettings, StrategySettings
from tradewind.application.simulator.settings import SimulatorSettings
from tradewind.application.spread.settings import SpreadSettings
from tradewind.application.trading.settings import TraderSettings
from tradewind.application.trading.trade_settings import TradesSettings
from tradewind.application.twap.settings import TwapSettings
from tradewind.application.venue.settings import VenueSettings
from tradewind.config import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    NESTED,
    ConfigError,
    ProcessFields,
    default_path,
    describe,
    read_file,
    refuse_unknown_sections,
)
from tradewind.domain.commands import InputLimits
from tradewind.domain.numbers import NumberLimits
from tradewind.interfaces.health.settings import DistributedSettings
from tradewind.interfaces.http.settings import HttpSettings
from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings
from tradewind.interfaces.telegram.settings import TelegramSettings

__all__ = ["DEFAULT_CONFIG", "ENV_PREFIX", "ConfigError", "ProcessSettings", "Settings", "load_settings"]

S = TypeVar("S", bound="ProcessSettings")


class ProcessSettings(BaseSettings, ProcessFields):
    """A process's settings from its sources: arguments, then the environment, then the file."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter=NESTED, frozen=True)
    file_values: ClassVar[dict[str, Any] | None] = None  # the YAML file's mapping, read by `validated`

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
        if cls.file_values is not None:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=cls.file_values))
        return tuple(sources)


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    refresh_per_second: float = Field(4.0, gt=0, le=30)
    trades_shown: int = Field(12, ge=1, le=100)
    history_file: Path | None = Path("data/prompt_history")  # the prompt's history; None: this run only


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


class Settings(ProcessSettings):
    """Everything Tradewind reads at start-up."""

    model_config = SettingsConfigDict(extra="forbid")

    sim_speed: float | None = Field(None, gt=0, le=1_000_000)  # with clock: sim, simulated seconds per real second
    storage: StoreSettings = StoreSettings()
    recorder: RecorderSettings = RecorderSettings()
    lake: LakeSettings = LakeSettings()
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
    commands: CommandsSettings = CommandsSettings()
    strategies: tuple[StrategySettings, ...] = ()
    producer: ProducerSettings = ProducerSettings()
    trader: TraderSettings = TraderSettings()
    trades: TradesSettings = TradesSettings()

    @model_validator(mode="after")
    def _sim_speed_needs_sim_clock(self) -> Settings:
        if self.sim_speed is not None and self.clock != "sim":
            raise ValueError("sim_speed drives the simulated clock: set clock: sim with it (--sim-speed does)")
        return self

    @model_validator(mode="after")
    def _unique_strategy_ids(self) -> Settings:
        ids = [s.id for s in self.strategies]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"strategies: each id must be unique (it is the signals' source), repeated: {repeated}")
        return self

    telegram: TelegramSettings = TelegramSettings()
    plugins: PluginsSettings = PluginsSettings()
    spread: SpreadSettings = SpreadSettings()

    def masked_json(self) -> str:
        """The settings as indented JSON with every password and secret masked (what ``tradewind config`` prints)."""
        return json.dumps(mask_secrets(self.model_dump(mode="json")), indent=2)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (default ``./tradewind.yaml`` when present), apply the environment, validate every section.

    Raises ConfigError with a one-line message that names each bad key (or the file, or the environment variable)
    and never repeats a secret.
    """
    return validated(Settings, path, overrides)


def validated(model: type[S], path: Path | None, overrides: dict[str, Any]) -> S:
    """``model`` from ``overrides``, the environment and ``path`` (default ``./tradewind.yaml`` when present).

    Raises ConfigError with a one-line message that names each bad key (or the file, or the environment variable)
    and never repeats a secret.
    """
    path = default_path(path)
    refuse_unknown_sections(os.environ)
    values = None if path is None else read_file(path)
    bound = type(f"Bound{model.__name__}", (model,), {"file_values": values})
    try:
        return bound(**overrides)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ConfigError(describe(exc, path)) from None
    except ValueError as exc:  # pydantic-settings: an environment variable's JSON does not parse
        raise ConfigError(f"invalid configuration: {mask_url(str(exc))}") from None
