"""The ``lake:`` section: kinds by name, one credential source, secrets masked, a secrets file read by name only."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs
import pytest
from pydantic import ValidationError

from tradewind.adapters.store.lake.filesystem import open_root
from tradewind.adapters.store.lake.settings import LakeLocationError, LakeSettings
from tradewind.settings import ConfigError, load_settings

SECRET = "S3cr3tLakeUnit"


def test_kinds_are_named_and_an_unknown_one_is_refused_with_the_known_ones() -> None:
    assert LakeSettings(kinds=("trade", "book", "trade")).kinds == ("trade", "book")
    with pytest.raises(ValidationError, match="unknown kind 'candle'; known: trade, mid, book"):
        LakeSettings(kinds=("trade", "candle"))


def test_credentials_come_in_pairs_from_one_source(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"set both lake\.access_key_id and lake\.secret_access_key"):
        LakeSettings(access_key_id="k")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"or lake\.secrets_file, not both"):
        LakeSettings(access_key_id="k", secret_access_key="s", secrets_file=tmp_path / "x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"lake\.endpoint is a URL"):
        LakeSettings(endpoint="minio:9000")


def test_the_secret_is_masked_in_the_printed_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./tradewind.yaml: the environment is the configuration
    monkeypatch.setenv("TRADEWIND_LAKE__ACCESS_KEY_ID", "key-id-1")
    monkeypatch.setenv("TRADEWIND_LAKE__SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("TRADEWIND_LAKE__BUCKET", "b")
    settings = load_settings(None)
    shown = settings.masked_json()
    assert settings.lake.location == "s3://b/lake"
    assert SECRET not in shown and "key-id-1" not in shown and '"bucket": "b"' in shown


def test_a_bad_kind_from_the_environment_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEWIND_LAKE__KINDS", '["nope"]')
    with pytest.raises(ConfigError, match=r"lake.kinds: unknown kind 'nope'"):
        load_settings(None)


def test_a_secrets_file_is_read_and_its_problems_name_the_file_never_the_content(tmp_path: Path) -> None:
    good, bad = tmp_path / "lake.yaml", tmp_path / "bad.yaml"
    good.write_text(f"access_key_id: id\nsecret_access_key: {SECRET}\n")
    bad.write_text(f"secret_access_key: {SECRET}\n")

    root = open_root(LakeSettings(bucket="b", secrets_file=good, endpoint="http://127.0.0.1:1"))
    assert isinstance(root.filesystem, pafs.S3FileSystem) and root.base == "b/lake" and not root.local
    with pytest.raises(LakeLocationError) as refused:
        open_root(LakeSettings(bucket="b", secrets_file=bad))
    assert str(refused.value) == f"lake.secrets_file: {bad} must map access_key_id and secret_access_key"
    with pytest.raises(LakeLocationError, match="cannot read"):
        open_root(LakeSettings(bucket="b", secrets_file=tmp_path / "missing.yaml"))


def test_a_folder_lake_is_created_and_an_s3_location_needs_a_bucket(tmp_path: Path) -> None:
    root = open_root(LakeSettings(path=tmp_path / "a" / "lake"))
    assert root.local and Path(root.base).is_dir()
    with pytest.raises(LakeLocationError, match="s3://bucket/prefix"):
        open_root(LakeSettings(), "s3://")
