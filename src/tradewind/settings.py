"""Root configuration: one YAML file plus ``TRADEWIND_...`` environment overrides, validated at start.

Each component owns its settings model beside its code; this module only assembles them. Unknown
keys are refused everywhere, so a typo in the YAML stops start-up with the key's name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from tradewind.adapters.exchanges.settings import ExchangesSettings
from tradewind.adapters.logging.config import LoggingSettings
from tradewind.adapters.logging.redaction import is_secret_key, mask_secrets, mask_url
from tradewind.adapters.store.lake.settings import LakeSettings
from tradewind.adapters.store.sqlalchemy.database import StoreSettings
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
from tradewind.domain.commands import InputLimits
from tradewind.domain.numbers import NumberLimits
from tradewind.interfaces.health.settings import DistributedSettings
from tradewind.interfaces.http.settings import HttpSettings
from tradewind.interfaces.sim_exchange.settings import SimExchangeSettings
from tradewind.interfaces.telegram.settings import TelegramSettings

DEFAULT_CONFIG = Path("tradewind.yaml")
ENV_PREFIX = "TRADEWIND_"
_NESTED = "__"
_SHOWN_INPUT = 80  # characters of a refused value the message repeats


class ConfigError(ValueError):
    """The configuration is invalid; the message (one line, secrets masked) names every bad key and what is wrong."""


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


class Settings(BaseSettings):
    """Everything Tradewind reads at start-up."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter=_NESTED, extra="forbid", frozen=True)
    file_values: ClassVar[dict[str, Any] | None] = None  # the YAML file's mapping, read by load_settings

    mode: Literal["embedded", "distributed"] = "embedded"
    clock: Literal["wall", "sim"] = "wall"
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

    def masked_json(self) -> str:
        """The settings as indented JSON with every password and secret masked (what ``tradewind config`` prints)."""
        return json.dumps(mask_secrets(self.model_dump(mode="json")), indent=2)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (default ``./tradewind.yaml`` when present), apply the environment, validate.

    Raises ConfigError with a one-line message that names each bad key (or the file, or the environment variable)
    and never repeats a secret.
    """
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    _refuse_unknown_sections(os.environ)
    values = None if path is None else _read_file(path)
    bound = type("BoundSettings", (Settings,), {"file_values": values})
    try:
        return bound(**overrides)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except ValueError as exc:  # pydantic-settings: an environment variable's JSON does not parse
        raise ConfigError(f"invalid configuration: {mask_url(str(exc))}") from None


def _read_file(path: Path) -> dict[str, Any]:
    """The mapping of the YAML file at ``path``; an empty file, another top level or bad YAML is refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason})"
        raise ConfigError(f"cannot read config file {path}: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        # Only the parser's own words and position: its snippet of the file may show a secret.
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = ", ".join(p for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"config file {path} is not valid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {type(exc).__name__}") from None
    if data is None:
        raise ConfigError(
            f"config file {path} is empty (or only comments): give at least one setting, or no file at all "
            "(every setting has a default)"
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} must be a mapping of sections (storage:, logging:, ...), not a {_yaml_kind(data)}"
        )
    return data


def _yaml_kind(data: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(data), "scalar")


def _refuse_unknown_sections(environ: Mapping[str, str]) -> None:
    """``TRADEWIND_NOPE__X`` is refused like an unknown key; variables without ``__`` may be credentials."""
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        section, nested, _ = name[len(ENV_PREFIX) :].partition(_NESTED)
        if nested and section.lower() not in Settings.model_fields:
            raise ConfigError(
                f"environment variable {name}: no section {section.lower()!r} in the configuration "
                f"(sections: {', '.join(Settings.model_fields)})"
            )


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = f" in {path}" if path else ""
    return f"invalid configuration{where}: " + "; ".join(_problem(error) for error in exc.errors(include_url=False))


def _problem(error: ErrorDetails) -> str:
    key = ".".join(_key_part(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    message = mask_url(" ".join(error["msg"].split()).removeprefix("Value error, "))
    shown = _shown_input(error)
    got = "" if shown is None else f" (got {shown})"
    return f"{key}: {message}{got}" if key else message + got


def _key_part(part: object) -> str:
    """A key as written when it is plain, quoted when it holds a line break or other control (one line, always)."""
    text = str(part)
    return text if text.isprintable() else repr(text)


def _shown_input(error: ErrorDetails) -> str | None:
    """The refused value as the message may repeat it: never a secret, a password or a whole section."""
    value = error.get("input")
    if error["type"] == "value_error" or any(is_secret_key(part) for part in error["loc"]):
        return None  # our validators say what they got (masked); a secret is never repeated
    if isinstance(value, Mapping | list | tuple | set):
        return None
    shown = mask_url(repr(value))
    return shown if len(shown) <= _SHOWN_INPUT else shown[: _SHOWN_INPUT - 3] + "..."
