"""Hypothesis over configuration files: any YAML (odd text, or the real sections and keys with any values) loads as
settings or is refused with a one-line ConfigError; no other exception ever escapes ``load_settings``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from tradewind.settings import ConfigError, Settings, load_settings


def _keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


SECTIONS = {
    name: _keys(field.annotation)
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
}
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(), st.text(max_size=20),
    st.sampled_from(["1e400", "NaN", "-1", "0", "sqlite:///:memory:", "postgresql://u:p@h:1/d", "amqp://x", "sim",
                     "bybit", "binance", "\u0661", "1_0", "wall", "embedded", "distributed", "0.0.0.0", "*"]),
)  # fmt: skip
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
SECTION = st.sampled_from(sorted(SECTIONS)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        VALUE | st.dictionaries(st.sampled_from([*SECTIONS[name], "nope"]), VALUE, max_size=4),
    )
)
DOCUMENT = st.lists(SECTION, max_size=4).map(dict).map(lambda d: yaml.safe_dump(d, allow_unicode=True))
ODD_TEXT = st.sampled_from([
    "", "~", "[]", "- a\n- b", "{", "a: b: c", "\t", "1e400", "storage: [", "!!python/object/apply:os.system ['true']",
    "a: &x [*x]", "storage: {url: 1}\nstorage: {url: 2}", "%YAML 9.9\n---\n", "--- a\n--- b", "\x00", "\ufeffmode: x",
]) | st.text(max_size=60)  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.upper().startswith("TRADEWIND_")]:
        monkeypatch.delenv(name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=DOCUMENT | ODD_TEXT)
def test_any_config_file_loads_or_is_refused_with_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "tw.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    loaded: Any
    try:
        loaded = load_settings(path)
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        return
    assert isinstance(loaded, Settings)
    loaded.masked_json()  # what `tradewind config` prints renders too
