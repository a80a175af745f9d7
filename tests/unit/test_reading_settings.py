"""The reading verbs' narrow configuration: the same file and ``TRADEWIND_...`` overrides, only their sections."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradewind.config import SECTIONS, ConfigError, ReadingSettings, load_reading_settings
from tradewind.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TRADEWIND_* of the machine, and no ./tradewind.yaml, take part."""
    for name in [n for n in os.environ if n.upper().startswith("TRADEWIND_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tw.yaml"
    path.write_text(text)
    return path


def test_the_section_names_are_the_full_settings_fields_in_order() -> None:
    assert tuple(Settings.model_fields) == SECTIONS


def test_the_reading_sections_are_the_full_settings_own_models() -> None:
    for name, field in ReadingSettings.model_fields.items():
        assert field.annotation == Settings.model_fields[name].annotation, name


def test_the_file_and_the_environment_give_the_same_storage_and_logging_as_the_full_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "mode: embedded\nstorage: {url: 'sqlite:///a.db', migrate_on_start: false}\nlogging: {level: info}\n"
    path = _file(tmp_path, text)
    monkeypatch.setenv("TRADEWIND_STORAGE__URL", "sqlite:///b.db")
    monkeypatch.setenv("TRADEWIND_LOGGING__LEVEL", "warning")

    reading, full = load_reading_settings(path), load_settings(path)

    assert reading.storage.url == "sqlite:///b.db"
    assert reading.logging.level == "warning"
    assert reading.storage.migrate_on_start is False
    assert (reading.mode, reading.clock, reading.storage, reading.logging) == (
        full.mode, full.clock, full.storage, full.logging,
    )  # fmt: skip


def test_other_sections_are_neither_read_nor_checked(tmp_path: Path) -> None:
    path = _file(tmp_path, "storage: {url: 'sqlite:///a.db'}\nsimulator: {no_such_key: 1}\nexchanges: 7\n")

    assert load_reading_settings(path).storage.url == "sqlite:///a.db"
    with pytest.raises(ConfigError, match=r"simulator\.no_such_key: unknown key"):
        load_settings(path)  # `tradewind config` and `run` still check every section


def test_a_bad_key_of_a_reading_section_is_refused_as_by_the_full_settings(tmp_path: Path) -> None:
    path = _file(tmp_path, "storage: {url: 'sqlite:///a.db', bogus: 1}\n")

    with pytest.raises(ConfigError) as reading:
        load_reading_settings(path)
    with pytest.raises(ConfigError) as full:
        load_settings(path)

    assert str(reading.value) == str(full.value) == f"invalid configuration in {path}: storage.bogus: unknown key"


def test_an_unknown_section_in_the_environment_is_refused_as_by_the_full_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADEWIND_NOPE__X", "1")

    with pytest.raises(ConfigError) as reading:
        load_reading_settings()
    with pytest.raises(ConfigError) as full:
        load_settings()

    assert str(reading.value) == str(full.value)
    assert str(reading.value).startswith("environment variable TRADEWIND_NOPE__X: no section 'nope'")
