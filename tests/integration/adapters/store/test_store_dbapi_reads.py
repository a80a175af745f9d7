"""The reading ``twap`` verbs' two paths agree: what SQLAlchemy writes, the DB-API readers read back equal.

Hypothesis writes jobs, slices, fills, decision logs and mids through the SQLAlchemy repositories on SQLite and
PostgreSQL; the DB-API readers (the verbs' fast path, schema at head) must return the same domain objects as the
SQLAlchemy repositories, and ``twap list|show|report`` must print the same bytes either way. The guard against the
two sets of SELECTs drifting apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from tradewind.adapters.store.dbapi import DbapiLogReads, DbapiMidHistory, DbapiTwapReads, open_at_head
from tradewind.adapters.store.dbapi.connection import DbapiDatabase
from tradewind.adapters.store.settings import HEAD_REVISION, StoreSettings
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository, SqlMarketDataRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.ports.repositories import LogRecord
from tradewind.bootstrap import twap_reading
from tradewind.domain.ids import ClientOrderId, JobId
from tradewind.domain.market import InstrumentRef, MidPrice
from tradewind.domain.twap.job import JobStatus, SliceRecord, SliceStatus, TwapJob
from tradewind.domain.twap.report import FillRow
from tradewind.domain.twap.spec import CatchUpPolicy, LimitPolicy, OrderStyle, TwapSpec
from tradewind.domain.values import Category, Side
from tradewind.interfaces.cli.app import app

pytestmark = pytest.mark.integration
TABLES = ("twap_fills", "twap_slices", "twap_jobs", "logs", "market_mids")
SECOND = 10**9

# Decimals as users and exchanges write them: up to 18 places, trailing zeros and all (the store keeps them exact).
amounts = st.builds(lambda n, places: Decimal(n).scaleb(-places), st.integers(1, 10**15), st.integers(0, 18))
signed = st.builds(lambda n, places: Decimal(n).scaleb(-places), st.integers(-(10**12), 10**12), st.integers(0, 18))
words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
times = st.integers(0, 4_000_000_000 * SECOND)
json_values = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), words
)
MARKETS = [InstrumentRef("sim", Category.SPOT, "BTCUSDT"), InstrumentRef("bybit", Category.LINEAR, "ETHUSDT")]


@st.composite
def jobs(draw: st.DrawFn, job_id: str) -> TwapJob:
    market = draw(st.sampled_from(MARKETS))
    slices = draw(st.integers(1, 5))
    spec = TwapSpec(
        market.exchange, market.category, market.symbol, draw(st.sampled_from(Side)), draw(st.integers(1, 86_400)),
        slices, quantity=draw(amounts), limit_price=draw(st.none() | amounts),
        limit_policy=draw(st.sampled_from(LimitPolicy)), catch_up=draw(st.sampled_from(CatchUpPolicy)),
        order_style=draw(st.sampled_from(OrderStyle)), size_jitter=draw(st.sampled_from([Decimal(0), Decimal("0.25")])),
        seed=draw(st.integers(0, 2**31)), allow_insufficient=draw(st.booleans()),
    )  # fmt: skip
    start = draw(times)
    return TwapJob(
        JobId(job_id), spec, draw(amounts), draw(amounts), tuple(draw(st.lists(st.integers(0, 10**6), min_size=slices,
        max_size=slices))), tuple(sorted(draw(st.lists(st.integers(0, 10**12), min_size=slices, max_size=slices)))),
        start, draw(times), status=draw(st.sampled_from(JobStatus)), next_index=draw(st.integers(0, slices)),
        dispatched=draw(st.integers(-1, slices)), filled_qty=draw(amounts), arrival_price=draw(st.none() | amounts),
        reason=draw(words), paused_ns=draw(st.none() | times),
        end_ns=draw(st.none() | st.integers(start, start + 10**13)),
        order_tag=draw(st.text("abcdef0123456789", max_size=8)), archived=draw(st.booleans()),
        tick_size=draw(st.none() | amounts),
    )  # fmt: skip


@st.composite
def slice_records(draw: st.DrawFn, job: TwapJob, index: int, attempt: int) -> SliceRecord:
    return SliceRecord(
        job.job_id, index, attempt, draw(st.none() | st.just(ClientOrderId(f"tw-{job.job_id}-{index}-{attempt}"))),
        draw(st.sampled_from(SliceStatus)), draw(amounts), draw(st.sampled_from(["market", "limit"])),
        draw(st.none() | amounts), draw(st.sampled_from(["GTC", "IOC", "PostOnly"])), draw(times), draw(amounts),
        draw(st.none() | amounts), draw(signed), draw(st.none() | amounts), draw(words),
    )  # fmt: skip


@st.composite
def stores(
    draw: st.DrawFn,
) -> tuple[list[TwapJob], list[SliceRecord], list[list[FillRow]], list[LogRecord], list[MidPrice]]:
    ids = draw(st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=16), min_size=1,
                        max_size=3, unique=True))  # fmt: skip
    made = [draw(jobs(job_id)) for job_id in ids]
    made[0] = replace(made[0], end_ns=made[0].start_ns + draw(st.integers(0, 10**12)))  # the report reads a window
    records: list[SliceRecord] = []
    fills: list[list[FillRow]] = []
    for job in made:
        for index in range(draw(st.integers(0, 3))):
            for attempt in range(draw(st.integers(1, 2))):
                record = draw(slice_records(job, index, attempt))
                records.append(record)
                fills.append([
                    FillRow(index, draw(times), draw(amounts), draw(amounts), draw(signed), f"t{index}-{attempt}-{n}")
                    for n in range(draw(st.integers(0, 2)))
                ])  # fmt: skip
    logs = [
        LogRecord(draw(times), draw(st.sampled_from(["debug", "info", "warning", "error"])), draw(words),
                  draw(st.sampled_from(["tradewind.twap", "tradewind.other"])), draw(st.sampled_from([*ids, None])),
                  draw(st.dictionaries(words, json_values, max_size=3)))
        for _ in range(draw(st.integers(0, 6)))
    ]  # fmt: skip
    mids = [
        MidPrice(draw(st.sampled_from(MARKETS)), mid, mid - step, mid + step, draw(times))
        for mid, step in draw(st.lists(st.tuples(amounts, amounts), max_size=6))
    ]
    return made, records, fills, logs, mids


def _store_settings(database: Database) -> StoreSettings:
    return StoreSettings(url=database.url.render_as_string(hide_password=False), pg_schema=database.schema)


@pytest.fixture
def direct(database: Database) -> Iterator[DbapiDatabase]:
    opened = open_at_head(_store_settings(database), distributed=False)
    assert opened is not None  # migrated to head: the fast path is taken
    yield opened
    opened.close()


def _write(database: Database, data: tuple[list[TwapJob], list[SliceRecord], list[list[FillRow]], list[LogRecord],
           list[MidPrice]]) -> None:  # fmt: skip
    made, records, fills, logs, mids = data
    with database.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    repo = SqlTwapRepository(database)

    async def write() -> None:
        by_id = {job.job_id: job for job in made}
        for job in made:
            await repo.add_job(job)
        for record, its_fills in zip(records, fills, strict=True):
            await repo.finish_slice(record, its_fills, by_id[record.job_id])
        await SqlLogRepository(database).add(logs)
        await SqlMarketDataRepository(database).add_mids(mids)

    asyncio.run(write())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=stores(), window=st.tuples(st.none() | times, st.none() | times), limit=st.none() | st.integers(0, 4))
def test_the_dbapi_readers_return_what_the_sqlalchemy_repositories_return(
    database: Database,
    direct: DbapiDatabase,
    data: tuple[list[TwapJob], list[SliceRecord], list[list[FillRow]], list[LogRecord], list[MidPrice]],
    window: tuple[int | None, int | None],
    limit: int | None,
) -> None:
    _write(database, data)
    sql_twap, sql_logs, sql_md = (
        SqlTwapRepository(database),
        SqlLogRepository(database),
        SqlMarketDataRepository(database),
    )
    fast_twap, fast_logs, fast_md = DbapiTwapReads(direct), DbapiLogReads(direct), DbapiMidHistory(direct)
    start, end = window

    async def both() -> None:
        for status in (None, *JobStatus):
            for archived in (True, False):
                assert await fast_twap.list_jobs(status, archived=archived) == await sql_twap.list_jobs(
                    status, archived=archived
                )
        for job in [*data[0], replace(data[0][0], job_id=JobId("nosuchjob"))]:
            assert await fast_twap.get_job(job.job_id) == await sql_twap.get_job(job.job_id)
            assert await fast_twap.slices(job.job_id) == await sql_twap.slices(job.job_id)
            assert await fast_twap.slices(job.job_id, 1) == await sql_twap.slices(job.job_id, 1)
            assert await fast_twap.fills(job.job_id) == await sql_twap.fills(job.job_id)
            for logger in ("tradewind.twap", None):
                asked: dict[str, Any] = {"job_id": job.job_id, "logger": logger, "limit": limit}
                asked |= {"start_ns": start, "end_ns": end}
                assert await fast_logs.query(**asked) == await sql_logs.query(**asked)
        assert await fast_logs.query() == await sql_logs.query()
        for market in MARKETS:
            assert await fast_md.mids(market, start, end, limit=limit) == await sql_md.mids(
                market, start, end, limit=limit
            )

    asyncio.run(both())
    assert [j.job_id for j in asyncio.run(fast_twap.list_jobs())] == sorted(
        (j.job_id for j in data[0]), key=lambda i: (next(j.created_ns for j in data[0] if j.job_id == i), i)
    )  # it read something: the jobs, in creation order


def _outputs(config: Path, job_id: str) -> list[tuple[int, str]]:
    runner = CliRunner()
    verbs = [["list"], ["list", "--archived"], ["show", job_id], ["report", job_id], ["show", "nosuchjob"]]
    results = [runner.invoke(app, ["twap", *verb, "-c", str(config)]) for verb in verbs]
    return [(r.exit_code, r.output) for r in results]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=stores())
def test_the_reading_verbs_print_the_same_bytes_on_either_path(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: tuple[list[TwapJob], ...]
) -> None:
    _write(database, data)  # type: ignore[arg-type]
    store = _store_settings(database)
    config = tmp_path / "tw.yaml"
    schema = "" if store.pg_schema is None else f", pg_schema: {store.pg_schema}"
    config.write_text(f"clock: sim\nstorage: {{url: '{store.url}'{schema}}}\nlogging: {{level: critical}}\n")
    opened: list[bool] = []

    def spy(storage: StoreSettings, *, distributed: bool) -> DbapiDatabase | None:
        found = open_at_head(storage, distributed=distributed)
        opened.append(found is not None)
        return found

    with monkeypatch.context() as patch:
        patch.setattr(twap_reading, "open_at_head", spy)
        fast = _outputs(config, data[0][0].job_id)
    with monkeypatch.context() as patch:
        patch.setattr(twap_reading, "open_at_head", lambda storage, *, distributed: None)
        through_sqlalchemy = _outputs(config, data[0][0].job_id)

    assert opened == [True] * len(fast)  # each verb took the fast path
    assert fast == through_sqlalchemy
    assert fast[2][0] == 0 and data[0][0].job_id in fast[2][1]
    assert fast[4] == (2, "no TWAP job 'nosuchjob': `tradewind twap list` shows the jobs\n")


def test_a_database_a_revision_behind_is_migrated_by_the_sqlalchemy_path_and_answers(
    empty_database: Database, tmp_path: Path
) -> None:
    behind = ScriptDirectory.from_config(empty_database.alembic_config()).get_revision(HEAD_REVISION)
    assert behind is not None and isinstance(behind.down_revision, str)
    empty_database.upgrade(behind.down_revision)
    store = _store_settings(empty_database)
    assert open_at_head(store, distributed=False) is None  # not at head: left to SQLAlchemy
    config = tmp_path / "tw.yaml"
    schema = "" if store.pg_schema is None else f", pg_schema: {store.pg_schema}"
    config.write_text(f"storage: {{url: '{store.url}'{schema}}}\nlogging: {{level: critical}}\n")

    result = CliRunner().invoke(app, ["twap", "list", "-c", str(config)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("no TWAP jobs")
    assert empty_database.at_head()  # migrated (embedded, migrate_on_start)
    reopened = open_at_head(store, distributed=False)
    assert reopened is not None  # the next verb reads it directly
    reopened.close()


def test_an_sqlite_file_that_is_not_there_is_not_created_by_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "none.db"

    assert open_at_head(StoreSettings(url=f"sqlite:///{path}"), distributed=False) is None
    assert not path.exists()


async def test_one_connection_sees_what_is_written_after_it_opened(database: Database, direct: DbapiDatabase) -> None:
    """``twap watch`` reads the same job again and again over one connection: each read sees the latest commit."""
    job = TwapJob(
        JobId("w1"), TwapSpec("sim", Category.SPOT, "BTCUSDT", Side.BUY, 60, 2, quantity=Decimal("0.02")),
        Decimal("0.02"), Decimal("0.000001"), (10_000, 10_000), (0, 30 * SECOND), 1, 1,
    )  # fmt: skip
    repo, reads = SqlTwapRepository(database), DbapiTwapReads(direct)
    await repo.add_job(job)
    assert await reads.get_job(job.job_id) == job

    moved = replace(job, next_index=1, dispatched=1, filled_qty=Decimal("0.01"))
    await repo.save_job(moved)

    assert await reads.get_job(job.job_id) == moved


def test_an_echoing_database_is_left_to_sqlalchemy(database: Database) -> None:
    settings = _store_settings(database).model_copy(update={"echo": True})

    assert open_at_head(settings, distributed=False) is None
