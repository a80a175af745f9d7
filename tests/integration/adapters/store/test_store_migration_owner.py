"""Only the storage service migrates a distributed database: the ``twap`` verbs refuse an unmigrated one."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from tradewind.interfaces.cli.app import app


def test_twap_verbs_do_not_migrate_a_distributed_database_behind_its_back(
    postgres_url: str, pg_schema: str, tmp_path: Path
) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{pg_schema}"')
    config = tmp_path / "tw.yaml"
    config.write_text(yaml.safe_dump({"mode": "distributed", "storage": {"url": postgres_url, "pg_schema": pg_schema}}))
    result = CliRunner().invoke(app, ["twap", "list", "-c", str(config)])
    assert result.exit_code == 1  # a dependency not ready yet, not a bad configuration
    assert "start the storage service" in result.output
    assert inspect(engine).get_table_names(schema=pg_schema) == []
    engine.dispose()


def test_twap_verbs_migrate_the_embedded_database_they_own(tmp_path: Path) -> None:
    config = tmp_path / "tw.yaml"
    config.write_text(yaml.safe_dump({"storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"}}))
    result = CliRunner().invoke(app, ["twap", "list", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "no TWAP jobs" in result.output  # said, not an empty table
    engine = create_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    assert "twap_jobs" in inspect(engine).get_table_names()
    engine.dispose()
