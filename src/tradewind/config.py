"""The configuration's file and environment: one YAML file plus ``TRADEWIND_...`` overrides, validated by a model.

``tradewind.settings.Settings`` validates every section, through pydantic-settings. ``ReadingSettings`` holds only what
the reading ``twap`` verbs use, a plain pydantic model that :func:`load_reading_settings` fills: the file and the
environment merged as pydantic-settings merges them (its rules are written out below, and a hypothesis test holds both
loaders to the same answers), without importing pydantic-settings or the other sections' models: their start-up time.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import deque
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from tradewind.adapters.logging.redaction import is_secret_key, mask_url
from tradewind.adapters.logging.settings import LoggingSettings
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


class ConfigError(ValueError):
    """The configuration is invalid; the message (one line, secrets masked) names every bad key and what is wrong."""


class ProcessFields(BaseModel):
    """What every process reads first: how it runs (``Settings`` and ``ReadingSettings`` both start with these)."""

    mode: Literal["embedded", "distributed"] = "embedded"
    clock: Literal["wall", "sim"] = "wall"


class ReadingSettings(ProcessFields):
    """The sections the reading ``twap`` verbs use (the database and the logs); the others are ignored, unchecked."""

    # validate_default as pydantic-settings' BaseSettings has it, so both models check the same values.
    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)

    storage: StoreSettings = StoreSettings()
    logging: LoggingSettings = LoggingSettings()


def default_path(path: Path | None) -> Path | None:
    """``path``, or ``./tradewind.yaml`` when none is given and that file exists."""
    return DEFAULT_CONFIG if path is None and DEFAULT_CONFIG.exists() else path


def load_reading_settings(path: Path | None = None) -> ReadingSettings:
    """``ReadingSettings`` from the environment and ``path`` (default ``./tradewind.yaml`` when present).

    Raises ConfigError as ``load_settings`` does, with the same message for the same mistake.
    """
    path = default_path(path)
    refuse_unknown_sections(os.environ)
    values = {} if path is None else read_file(path)
    try:
        merged = _deep_update(_file_values(ReadingSettings, values), _environment_values(ReadingSettings, os.environ))
        return ReadingSettings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(describe(exc, path)) from None
    except _EnvironmentJsonError as exc:
        raise ConfigError(f"invalid configuration: {mask_url(str(exc))}") from None


# pydantic-settings' rules for the sources of ProcessSettings (env_prefix TRADEWIND_, env_nested_delimiter __, no
# aliases, case-insensitive), for models whose fields are scalars, models and optional models; a test checks that the
# reading models have no other kind of field (a dict or a list would follow other rules).


class _EnvironmentJsonError(ValueError):
    """A variable of a model-valued field whose value is not JSON (pydantic-settings' SettingsError, same words)."""

    def __init__(self, field: str) -> None:
        super().__init__(f'error parsing value for field "{field}" from source "EnvSettingsSource"')


def _file_values(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """The file's sections by field name: a top-level key matches its field whatever its case, the first one wins.

    Other keys are left out: the reading model ignores them.
    """
    first: dict[str, str] = {}
    for key in values:
        first.setdefault(key.lower(), key)
    return {name: values[first[name]] for name in model.model_fields if name in first}


def _environment_values(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    """Each field's value from ``TRADEWIND_<FIELD>`` (JSON for a model) and ``TRADEWIND_<FIELD>__<KEY>...``."""
    env = {name.lower(): value for name, value in environ.items()}
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        env_name = (ENV_PREFIX + name).lower()
        value: Any = env.get(env_name)
        is_complex, lenient = _complexity(field.annotation)
        if is_complex:
            try:
                if value is None:
                    value = _explode(env, env_name + NESTED, field.annotation) or None
                else:
                    value = _json(value, lenient=lenient)
                    if isinstance(value, dict):
                        value = _deep_update(value, _explode(env, env_name + NESTED, field.annotation))
            except ValueError:
                raise _EnvironmentJsonError(name) from None
        if value is not None:
            found[name] = _field_names(field.annotation, value) if isinstance(value, dict) else value
    return found


def _explode(env: Mapping[str, str], prefix: str, annotation: Any) -> dict[str, Any]:
    """The nested mapping of the variables starting with ``prefix``: ``a__b`` is ``{"a": {"b": value}}``.

    A value is decoded as JSON where its key names a model field; a variable that an earlier, shorter one already set
    as a scalar is dropped; the keys stay as written (lower case).
    """
    result: dict[str, Any] = {}
    for env_name, env_value in env.items():
        if not env_name.startswith(prefix):
            continue
        *keys, last = env_name[len(prefix) :].split(NESTED)
        node: Any = result
        target: FieldInfo | None = None
        parent: Any = annotation
        for key in keys:
            target = _next_field(parent, key)
            parent = None if target is None else target.annotation
            if isinstance(node, dict):
                node = node.setdefault(key, {})
        target = _next_field(parent, last)
        value: Any = env_value
        if target is not None and value:
            is_complex, lenient = _complexity(target.annotation)
            if is_complex:
                value = _json(value, lenient=lenient)
        if isinstance(node, dict):
            node[last] = value
    return result


def _next_field(annotation: Any, key: str) -> FieldInfo | None:
    """The field ``key`` (any case, or with the prefix) of the model ``annotation`` is, or holds in a union."""
    if annotation is None:
        return None
    for member in get_args(annotation):
        found = _next_field(member, key)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if key.lower() in (name.lower(), (ENV_PREFIX + name).lower()):
                return field
    return None


def _field_names(annotation: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each key that names a field of the model ``annotation`` (any case) spelt as the field."""
    model = _model(annotation)
    if model is None:
        return values
    named: dict[str, Any] = {}
    for key, value in values.items():
        name = next((n for n in model.model_fields if n.lower() == key.lower()), None)
        if name is None:
            named[key] = value
            continue
        inner = model.model_fields[name].annotation
        named[name] = _field_names(inner, value) if _model(inner) is not None and isinstance(value, dict) else value
    return named


def _model(annotation: Any) -> type[BaseModel] | None:
    """The model class of ``annotation``, or of ``annotation | None``."""
    args = get_args(annotation)
    if _is_union(annotation) and len(args) == 2 and NoneType in args:
        annotation = args[0] if args[1] is NoneType else args[1]
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


_COMPLEX = (BaseModel, Mapping, Sequence, AbstractSet, tuple, set, frozenset, deque)


def _complexity(annotation: Any) -> tuple[bool, bool]:
    """Whether a variable for ``annotation`` is JSON, and whether a value that is not JSON is kept as text (a union)."""
    if _is_complex(annotation):
        return True, False
    if _is_union(annotation) and any(_is_complex(member) for member in get_args(annotation)):
        return True, True
    return False, False


def _is_complex(annotation: Any) -> bool:
    return any(
        isinstance(kind, type)
        and not issubclass(kind, str | bytes)
        and (issubclass(kind, _COMPLEX) or dataclasses.is_dataclass(kind))
        for kind in (annotation, get_origin(annotation))
    )


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType)


def _json(text: str, *, lenient: bool) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        if lenient:
            return text
        raise


def _deep_update(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` over it, mappings merged key by key at every depth (pydantic's ``deep_update``)."""
    merged = dict(base)
    for key, value in update.items():
        old = merged.get(key)
        merged[key] = _deep_update(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def read_file(path: Path) -> dict[str, Any]:
    """The mapping of the YAML file at ``path``; an empty file, another top level or bad YAML is refused."""
    import yaml  # here: without a file (every setting has a default, or comes from the environment) it never loads

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
    for key in data:
        if not isinstance(key, str):  # `1:` or `~:` (pydantic-settings would fail on it with a traceback)
            raise ConfigError(
                f"config file {path}: a section is named by a word (storage:, logging:, ...), not {_shorter(repr(key))}"
            )
    return data


def _shorter(shown: str) -> str:
    """``shown`` cut to the length a message repeats."""
    return shown if len(shown) <= _SHOWN_INPUT else shown[: _SHOWN_INPUT - 3] + "..."


def _yaml_kind(data: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(data), "scalar")


def refuse_unknown_sections(environ: Mapping[str, str]) -> None:
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


def describe(exc: ValidationError, path: Path | None) -> str:
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
    return _shorter(mask_url(repr(value)))
