"""``tradewind db prune --max-bytes``: a byte budget read with a clear refusal, and the bytes before and after."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.retention import table_bytes
from tradewind.domain.market import BookSnapshot, InstrumentRef
from tradewind.domain.values import Category
from tradewind.interfaces.cli.app import app

BTC = InstrumentRef("sim", Category.SPOT, "BTCUSDT", "BTC")
LEVELS = tuple((Decimal(65000 + i), Decimal("1.5")) for i in range(50))


@pytest.fixture
async def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    database = Database(url)
    database.upgrade()
    await SqlMarketDataRepository(database).add_books([BookSnapshot(BTC, i, LEVELS, LEVELS, i) for i in range(300)])
    database.dispose()
    path = tmp_path / "tw.yaml"
    path.write_text(yaml.safe_dump({"storage": {"url": url}, "logging": {"to_database": False}}))
    return path


@pytest.mark.parametrize("size", ["two gigs", "0", "-5MB", "12XB", "1e30", "NaN", "Infinity", "1_0GB", "2.7e40B"])
def test_a_size_it_cannot_read_exits_2_naming_the_option(config: Path, size: str) -> None:
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), "--max-bytes", size])
    assert result.exit_code == 2
    assert "--max-bytes" in result.output and "is not a size" in result.output
    assert "Traceback" not in result.output


def test_prune_to_a_budget_reports_bytes_before_and_after(config: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tw.db'}")
    before = table_bytes(database)["book_snapshots"]
    result = CliRunner().invoke(app, ["db", "prune", "-c", str(config), "--max-bytes", "300KB"])
    after = table_bytes(database)["book_snapshots"]
    database.dispose()
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("book_snapshots:"))
    deleted, said_before, said_after = (int(n.replace(",", "")) for n in re.findall(r"[\d,]+(?= rows| bytes)", line))
    assert deleted > 0 and (said_before, said_after) == (before, after)
    assert after <= 300_000 < before
