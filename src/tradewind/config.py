"""The configuration's file and environment: one YAML file plus ``TRADEWIND_...`` overrides, validated by a model.

``tradewind.settings.Settings`` validates every section; ``ReadingSettings`` only what the reading ``twap`` verbs use
(their start-up time: the other sections' models are neither imported nor built). Both share this machinery.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from tradewind.adapters.logging.config import LoggingSettings
from tradewind.adapters.logging.redaction import is_secret_key, mask_url
from tradewind.adapters.store.settings import StoreSettings

DEFAULT_CONFIG = Path("tradewind.yaml")
ENV_PREFIX = "TRADEWIND_"
NESTED = "__"
_SHOWN_INPUT = 80  # characters of a refused value the message repeats
# The full Settings' fields in order (a test keeps them equal): the reading verbs refuse an unknown section in the
# environment as `tradewind run` does, without importing every section's model to learn the names.
SECTIONS = (
    "mode", "clock", "sim_speed", "storage", "recorder", "lake", "logging", "console", "simulator", "venue",
    "sim_exchange", "twap", "exchanges", "market_data", "http", "distributed", "input", "commands", "strategies",
    "producer", "trader", "trades", "telegram", "plugins", "spread",
)  # fmt: skip

S = TypeVar("S", bound="ProcessSettings")


class ConfigError(ValueError):
    """The configuration is invalid; the message (one line, secrets masked) names every bad key and what is wrong."""


class ProcessSettings(BaseSettings):
    """What every process reads first: the sources (arguments, environment, then the file) and how it runs."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter=NESTED, frozen=True)
    file_values: ClassVar[dict[str, Any] | None] = None  # the YAML file's mapping, read by `validated`

    mode: Literal["embedded", "distributed"] = "embedded"
    clock: Literal["wall", "sim"] = "wall"

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


class ReadingSettings(ProcessSettings):
    """The sections the reading ``twap`` verbs use (the database and the logs); the others are ignored, unchecked."""

    model_config = SettingsConfigDict(extra="ignore")

    storage: StoreSettings = StoreSettings()
    logging: LoggingSettings = LoggingSettings()


def load_reading_settings(path: Path | None = None) -> ReadingSettings:
    """``ReadingSettings`` from ``path`` (default ``./tradewind.yaml`` when present) and the environment."""
    return validated(ReadingSettings, path, {})


def validated(model: type[S], path: Path | None, overrides: dict[str, Any]) -> S:
    """``model`` from ``overrides``, the environment and ``path`` (default ``./tradewind.yaml`` when present).

    Raises ConfigError with a one-line message that names each bad key (or the file, or the environment variable)
    and never repeats a secret.
    """
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    _refuse_unknown_sections(os.environ)
    values = None if path is None else _read_file(path)
    bound = type(f"Bound{model.__name__}", (model,), {"file_values": values})
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
        section, nested, _ = name[len(ENV_PREFIX) :].partition(NESTED)
        if nested and section.lower() not in SECTIONS:
            raise ConfigError(
                f"environment variable {name}: no section {section.lower()!r} in the configuration "
                f"(sections: {', '.join(SECTIONS)})"
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
