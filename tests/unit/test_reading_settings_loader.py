"""The reading verbs' own loader against pydantic-settings: for any file and environment, the same settings or the same
refusal (word for word) as ``ReadingSettings`` had when it was a ``BaseSettings`` of the same sections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict

from tradewind.adapters.logging.settings import LoggingSettings
from tradewind.adapters.store.sqlalchemy.database import StoreSettings
from tradewind.config import ConfigError, ReadingSettings, load_reading_settings
from tradewind.settings import ProcessSettings, Settings, validated


class PydanticSettingsReading(ProcessSettings):
    """``ReadingSettings`` as pydantic-settings loads it: the reference the fast loader must agree with."""

    model_config = SettingsConfigDict(extra="ignore")

    storage: StoreSettings = StoreSettings()
    logging: LoggingSettings = LoggingSettings()


@pytest.fixture(autouse=True)
def _no_default_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ./tradewind.yaml takes part where no file is given."""
    monkeypatch.chdir(tmp_path)


def _outcome(load: Any) -> tuple[str, Any]:
    """What a loader answers: the values it loaded, or its refusal's words."""
    try:
        loaded = load()
    except ConfigError as exc:
        return "refused", str(exc)
    return "loaded", {name: getattr(loaded, name) for name in ReadingSettings.model_fields}


def _both(path: Path | None, environ: dict[str, str]) -> tuple[tuple[str, Any], tuple[str, Any]]:
    with mock.patch.dict(os.environ, environ, clear=True):
        fast = _outcome(lambda: load_reading_settings(path))
        reference = _outcome(lambda: validated(PydanticSettingsReading, path, {}))
    return fast, reference


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        for kind in (field.annotation, *get_args(field.annotation)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from _models(kind)


def _spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name, name.upper(), name.capitalize()])


SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2000), st.floats(allow_nan=False, width=32),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.sampled_from(["sqlite:///a.db", "postgresql://u:secret@h/db", "debug", "json", "sim", "true", "1e3"]),
)  # fmt: skip
JUNK = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=6), inner, max_size=2),
    max_leaves=4,
)  # fmt: skip
# A valid value of each field of the reading models (a test keeps every field here), besides the junk.
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "mode": st.sampled_from(["embedded", "distributed"]),
    "clock": st.sampled_from(["wall", "sim"]),
    "url": st.sampled_from(["sqlite:///a.db", "sqlite:///b.db", "postgresql+psycopg://u:secret@h/db"]),
    "pg_schema": st.sampled_from([None, "tw", "t1"]),
    "migrate_on_start": st.booleans(),
    "echo": st.booleans(),
    "level": st.sampled_from(["debug", "info", "warning", "error", "critical"]),
    "format": st.sampled_from(["auto", "console", "json"]),
    "to_database": st.booleans(),
    "batch_size": st.integers(1, 1000),
    "flush_interval_s": st.floats(0.1, 5),
    "path": st.sampled_from(["logs/a.log", "b.log"]),
    "max_bytes": st.integers(1024, 10**6),
    "when": st.sampled_from(["S", "M", "H", "D", "midnight"]),
    "interval": st.integers(1, 9),
    "backups": st.integers(0, 9),
}


def _inner_model(field: Any) -> type[BaseModel] | None:
    kinds = [field.annotation, *get_args(field.annotation)]
    return next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)


def _value(model: type[BaseModel], name: str) -> st.SearchStrategy[Any]:
    """Mostly a valid value of the field ``name`` of ``model`` (a mapping for a model), now and then junk."""
    inner = _inner_model(model.model_fields[name])
    good = _mapping(inner) if inner is not None else GOOD[name]
    return st.one_of(good, good, good, JUNK)


def _mapping(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of ``model``'s keys, any case, and now and then an unknown one, with values."""
    known = st.sampled_from(list(model.model_fields)).flatmap(lambda n: st.tuples(_spellings(n), _value(model, n)))
    unknown = st.tuples(st.sampled_from(["nope", "", "tradewind_url"]), JUNK)
    return st.lists(st.one_of(known, known, known, unknown), max_size=4).map(dict)


DOCUMENT = st.lists(
    st.one_of(
        st.sampled_from(list(ReadingSettings.model_fields)).flatmap(
            lambda n: st.tuples(_spellings(n), _value(ReadingSettings, n))
        ),
        st.tuples(st.sampled_from(["simulator", "twap", "nope"]), JUNK),
    ),
    max_size=5,
).map(dict)


def _paths(model: type[BaseModel], head: tuple[str, ...] = ()) -> list[tuple[type[BaseModel], tuple[str, ...]]]:
    """Each field of ``model`` and of its models, as (the model holding it, its path)."""
    found = []
    for name, field in model.model_fields.items():
        found.append((model, (*head, name)))
        inner = _inner_model(field)
        if inner is not None:
            found.extend(_paths(inner, (*head, name)))
    return found


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


PREFIX = st.sampled_from(["TRADEWIND_", "TRADEWIND_", "tradewind_", "Tradewind_"])
DELIMITER = st.sampled_from(["__"] * 6 + ["___", "____"])


def _variable(owner: type[BaseModel], path: tuple[str, ...]) -> st.SearchStrategy[tuple[str, str]]:
    """``TRADEWIND_SECTION__KEY...`` of a field, any case, and its value as text (JSON for a model)."""
    name = st.builds(
        lambda prefix, parts, delimiter: prefix + delimiter.join(parts),
        PREFIX, st.tuples(*(_spellings(part) for part in path)), DELIMITER,
    )  # fmt: skip
    return st.tuples(name, _value(owner, path[-1]).map(_text))


# Variables no field has: other sections, an unknown one, empty keys, a key below a scalar, other names.
ODD_NAMES = [
    "TRADEWIND_TWAP__X", "TRADEWIND_SIMULATOR", "TRADEWIND_NOPE__X", "TRADEWIND", "HOME", "TRADEWIND_STORAGE__",
    "TRADEWIND_LOGGING__FILE__PATH__X", "XTRADEWIND_MODE",
]  # fmt: skip
ODD_VALUES = ["", "null", "{", "[1]", "{}", '"x"', "3", "sqlite:///c.db"]
VARIABLE = st.one_of(
    *(_variable(owner, path) for owner, path in _paths(ReadingSettings)),
    st.tuples(st.sampled_from(ODD_NAMES), st.sampled_from(ODD_VALUES)),
)
ENVIRON = st.lists(VARIABLE, max_size=5).map(dict)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.none() | DOCUMENT, environ=ENVIRON)
def test_the_fast_loader_answers_as_pydantic_settings(document: dict[str, Any] | None, environ: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = None
        if document is not None:
            path = Path(folder) / "tw.yaml"
            path.write_text(yaml.safe_dump(document, allow_unicode=True) if document else "{}\n", encoding="utf-8")

        fast, reference = _both(path, environ)

    assert fast == reference


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        ("storage: {url: 'sqlite:///a.db', echo: true}\n", {"TRADEWIND_STORAGE__URL": "sqlite:///b.db"}),
        ("logging: {level: info}\n", {"TRADEWIND_LOGGING": '{"FORMAT": "json"}', "TRADEWIND_LOGGING__LEVEL": "debug"}),
        ("STORAGE: {url: 'sqlite:///a.db'}\nstorage: {url: 'sqlite:///b.db'}\n", {}),
        ("logging: {file: {path: a.log}}\n", {"TRADEWIND_LOGGING__FILE__MAX_BYTES": "2048"}),
        ("logging: {}\n", {"TRADEWIND_LOGGING__FILE": '{"path": "b.log", "BACKUPS": 2}'}),
        ("logging: {}\n", {"TRADEWIND_LOGGING__FILE": "not json"}),
        ("mode: distributed\n", {"tradewind_clock": "sim", "TRADEWIND_STORAGE": "null"}),
        ("storage: {url: 'postgresql://u:secret@h/db', echo: 7}\n", {}),
        ("storage: {}\n", {"TRADEWIND_STORAGE": "{"}),
        ("storage: {}\n", {"TRADEWIND_STORAGE": '"sqlite:///c.db"'}),
        ("storage: {}\n", {"TRADEWIND_STORAGE__URL__X": "1", "TRADEWIND_STORAGE__URL": "sqlite:///d.db"}),
        ("storage: {}\n", {"TRADEWIND_STORAGE__URL": "sqlite:///d.db", "TRADEWIND_STORAGE__URL__X": "1"}),
        ("mode: x\nclock: y\n", {"TRADEWIND_MODE": ""}),
        ("logging: 3\n", {}),
        ("simulator: {no_such_key: 1}\n", {"TRADEWIND_TWAP__X": "1"}),
    ],
)
def test_the_fast_loader_answers_as_pydantic_settings_in_the_common_cases(
    tmp_path: Path, text: str, environ: dict[str, str]
) -> None:
    path = tmp_path / "tw.yaml"
    path.write_text(text, encoding="utf-8")

    fast, reference = _both(path, environ)

    assert fast == reference


def test_a_refusal_names_the_key_and_masks_the_password(tmp_path: Path) -> None:
    path = tmp_path / "tw.yaml"
    path.write_text("storage: {url: 'postgresql://u:secret@h/db', echo: maybe}\n", encoding="utf-8")

    fast, _ = _both(path, {"TRADEWIND_LOGGING": "{"})
    assert fast == (
        "refused",
        'invalid configuration: error parsing value for field "logging" from source "EnvSettingsSource"',
    )

    fast, _ = _both(path, {})
    assert fast[0] == "refused"
    assert "storage.echo: Input should be a valid boolean" in fast[1]
    assert "secret" not in fast[1]


def test_a_section_named_by_a_number_is_refused_by_both_loaders(tmp_path: Path) -> None:
    path = tmp_path / "tw.yaml"
    path.write_text("1: a\n", encoding="utf-8")

    fast, reference = _both(path, {})
    with pytest.raises(ConfigError, match="a section is named by a word"):
        validated(Settings, path, {})

    assert (
        fast
        == reference
        == ("refused", f"config file {path}: a section is named by a word (storage:, logging:, ...), not 1")
    )


def test_every_field_of_the_reading_models_is_generated() -> None:
    fields = {path[-1] for model, path in _paths(ReadingSettings) if _inner_model(model.model_fields[path[-1]]) is None}

    assert fields == set(GOOD)


def test_the_reading_models_have_only_the_kinds_of_field_the_loader_follows() -> None:
    """Scalars, models and optional models, named in lower case, without aliases: a dict, a list or an alias would
    follow pydantic-settings rules the fast loader does not write out."""
    for model in _models(ReadingSettings):
        for name, field in model.model_fields.items():
            assert name == name.lower(), (model, name)
            assert field.alias is None and field.validation_alias is None, (model, name)
            kinds = [field.annotation, *get_args(field.annotation)]
            for kind in kinds:
                assert not (isinstance(kind, type) and issubclass(kind, dict | list | tuple | set | frozenset)), (
                    model, name,
                )  # fmt: skip


def test_loading_the_reading_settings_imports_neither_pydantic_settings_nor_structlog() -> None:
    code = (
        "import sys; from tradewind.config import load_reading_settings; load_reading_settings(); "
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic_settings', 'structlog'))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRADEWIND_")}

    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True, check=True, timeout=60
        )

    assert result.stdout.strip() == "[]"
