"""The lake service as an OS process over RabbitMQ, writing to a real S3-compatible server (moto on loopback).

While the sim-exchange publishes, the lake service is killed with SIGKILL in the middle of its batches and
started again: the lake then holds every trade PostgreSQL holds (the storage service's record of the same
stream), each exactly once, and as many mid prices.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pyarrow.fs as pafs
import pytest
from sqlalchemy import create_engine, text

from tests.support.lake import files, read_table, trade
from tests.support.s3 import S3Server
from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings
from tradewind.domain.market import trade_to_payload

from .distributed_support import StartService, counts, get, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
PREFIX = "lake"


def lake_trades(fs: pafs.FileSystem, bucket: str) -> Counter[tuple[str, str, str]]:
    if not files(fs, f"{bucket}/{PREFIX}", "market_trades"):
        return Counter()
    table = read_table(fs, f"{bucket}/{PREFIX}", "market_trades")
    return Counter(zip(*(table.column(c).to_pylist() for c in ("category", "symbol", "trade_id")), strict=True))


def lake_rows(fs: pafs.FileSystem, bucket: str, table: str) -> int:
    return read_table(fs, f"{bucket}/{PREFIX}", table).num_rows if files(fs, f"{bucket}/{PREFIX}", table) else 0


@pytest.fixture
def database(postgres_url: str, pg_schema: str) -> Callable[[str], list[Any]]:
    engine = create_engine(postgres_url)

    def query(sql: str) -> list[Any]:
        with engine.connect() as conn:
            return list(conn.execute(text(sql.replace("{schema}", f'"{pg_schema}"'))))

    return query


async def test_a_killed_lake_service_restarts_with_no_duplicate_and_no_gap(
    start_service: StartService,
    service_env: dict[str, str],
    s3_server: S3Server,
    s3_bucket: str,
    database: Callable[[str], list[Any]],
) -> None:
    service_env.update(
        s3_server.lake_env(s3_bucket, PREFIX),
        TRADEWIND_LAKE__ROWS_PER_FILE="40",
        TRADEWIND_LAKE__ROLL_INTERVAL_S="0.5",
        TRADEWIND_LAKE__RETRY_INTERVAL_S="0.2",
    )
    fs = s3_server.filesystem()
    storage = await start_service("storage")
    lake = await start_service("lake")  # both queues exist before anything is published
    ready = await get(lake.event("service.ready")["health_url"] + "/readyz")
    assert ready[0] == 200, ready[1]  # the broker and the bucket answer
    exchange = await start_service("sim-exchange")
    exchange_url = exchange.event("service.ready")["health_url"]
    bus = RabbitMqBus(RabbitMqSettings(url=service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]))
    await bus.start()
    malformed = {**trade_to_payload(trade(1)), "trade_id": "bad-1", "price": "not a number"}
    await bus.publish("md.trade.sim.spot.BTCUSDT", malformed)

    await until(lambda: _async(lambda: len(files(fs, f"{s3_bucket}/{PREFIX}", "market_trades"))), lambda n: n >= 3,
                "the lake service writing files")  # fmt: skip
    lake.process.kill()  # SIGKILL: no flush, no acknowledgement of the batch in hand
    await lake.process.wait()
    published = await counts(exchange_url, "tradewind_messages_out_total")
    await until(
        lambda: counts(exchange_url, "tradewind_messages_out_total"),
        lambda c: c.get("md.trade", 0) >= published.get("md.trade", 0) + 50,
        "more trades while the lake service is down",
    )
    restarted = await start_service("lake")
    assert await exchange.terminate() == 0
    sent = (await exchange.wait_event("service.stopped"))["sent"]

    async def landed() -> tuple[int, int, int]:
        trades = database("SELECT count(*) FROM {schema}.market_trades")[0][0]
        return len(lake_trades(fs, s3_bucket)), lake_rows(fs, s3_bucket, "market_mids"), trades

    await until(landed, lambda n: n == (sent["md.trade"], sent["md.mid"], sent["md.trade"]), "lake and database full")
    assert await restarted.terminate() == 0
    assert await storage.terminate() == 0
    dead = await bus.dead_letters("lake.md")
    await bus.close()

    stored = database("SELECT category, symbol, trade_id FROM {schema}.market_trades")
    in_lake = lake_trades(fs, s3_bucket)
    assert [m.payload["trade_id"] for m in dead] == ["bad-1"]  # dead-lettered, and below: not in the lake
    assert len(stored) == sent["md.trade"] > 50
    assert [key for key, n in in_lake.items() if n > 1] == []  # no duplicate
    assert set(in_lake) == {tuple(row) for row in stored}  # no gap, nothing extra
    assert lake_rows(fs, s3_bucket, "market_mids") == sent["md.mid"]
    assert database("SELECT count(*) FROM {schema}.market_mids")[0][0] == sent["md.mid"]


async def _async(probe: Callable[[], Any]) -> Any:
    return probe()
