"""The lake read by real engines: the snippets of docs/storage.md run on DuckDB, pandas and PySpark (local mode).

One lake is written twice with the same events, to a folder and to a real S3 server (moto on loopback); every
snippet must find the same number of trades and the same exact sum of traded quantity. One SparkSession for the
module (starting the JVM takes seconds).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pytest

from tests.support.lake import BTC, DAY_NS, ETH, T0, trade
from tests.support.s3 import ACCESS_KEY, SECRET_KEY, S3Server
from tradewind.adapters.store.lake.filesystem import LakeRoot
from tradewind.adapters.store.lake.layout import KINDS
from tradewind.adapters.store.lake.store import ParquetLake

pytestmark = pytest.mark.timeout(300)
DOC = Path(__file__).resolve().parents[3] / "docs" / "storage.md"
SNIPPET = re.compile(r"<!-- snippet: (\S+) -->\n```python\n(.*?)```", re.DOTALL)
EVENTS = [
    trade(i, BTC if i % 3 else ETH, ts_ns=T0 + (i % 2) * DAY_NS + i, qty=f"0.{i:04d}00000000000{i % 7}")
    for i in range(1, 400)
]


def snippets() -> dict[str, str]:
    return dict(SNIPPET.findall(DOC.read_text()))


def write(lake: ParquetLake) -> None:
    for start in range(0, len(EVENTS), 50):
        lake.write_sync(KINDS["trade"], EVENTS[start : start + 50])
    lake.write_sync(KINDS["trade"], EVENTS[120:180])  # a redelivery across two earlier files: nothing new


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        reason = "PySpark needs Java 17 (apt-get install openjdk-17-jre-headless)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the Spark reader test is required)")
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("tradewind-lake-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture
def lakes(tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> dict[str, Any]:
    folder = tmp_path / "lake"
    write(ParquetLake(LakeRoot(pafs.LocalFileSystem(), folder.as_posix(), local=True)))
    write(ParquetLake(LakeRoot(s3_server.filesystem(), f"{s3_bucket}/lake", local=False)))
    host = s3_server.endpoint.removeprefix("http://")
    return {"lake_dir": str(folder), "bucket": s3_bucket, "endpoint": host, "key": ACCESS_KEY, "secret": SECRET_KEY}


def test_the_documented_readers_are_all_there() -> None:
    assert set(snippets()) == {"duckdb-folder", "duckdb-s3", "pandas-s3", "spark-folder"}


def test_duckdb_pandas_and_spark_count_the_same_trades_and_the_same_exact_quantity(
    lakes: dict[str, Any], spark: Any
) -> None:
    expected = (len(EVENTS), sum((event.qty for event in EVENTS), Decimal(0)))
    found = {}
    for name, code in snippets().items():
        namespace: dict[str, Any] = {**lakes, "spark": spark}
        exec(compile(code, f"docs/storage.md:{name}", "exec"), namespace)
        found[name] = (namespace["count"], Decimal(namespace["qty"]))

    assert found == dict.fromkeys(found, expected)
    assert all(isinstance(qty, Decimal) for _, qty in found.values())
