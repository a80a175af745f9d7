"""configure_logging + DbLogSink: events reach the console and the logs table, secrets reach neither."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest
import structlog

from tests.support.waiting import WaitUntil
from tradewind.adapters.logging import DbLogSink, configure_logging, reset_logging
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository

SECRETS = ("s3cr3t-value", "hunter2", "KEY123", "tok-abc", "pp-xyz")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    reset_logging()


async def test_events_land_in_the_table_with_job_id_and_without_secrets(database: Database) -> None:
    repo = SqlLogRepository(database)
    sink = DbLogSink(repo, flush_interval_s=3600)
    console = io.StringIO()
    configure_logging("info", json=True, sink=sink, stream=console)
    await sink.start()
    log = structlog.get_logger("tradewind.twap.service")

    log.info(
        "slice.sent",
        job_id="job-7",
        qty=Decimal("0.015"),
        api_secret=SECRETS[0],
        password=SECRETS[1],
        headers={"X-Api-Key": SECRETS[2], "accept": "json"},
        auth=[{"access_token": SECRETS[3], "user": "ann"}],
        Passphrase=SECRETS[4],
    )
    log.debug("below.level", job_id="job-7")
    logging.getLogger("thirdparty.lib").warning("plain %s message", "stdlib")
    await sink.stop()

    [row] = await repo.query(job_id="job-7")
    assert (row.level, row.event, row.logger) == ("info", "slice.sent", "tradewind.twap.service")
    assert row.fields == {
        "qty": "0.015",
        "api_secret": "***",
        "password": "***",
        "headers": {"X-Api-Key": "***", "accept": "json"},
        "auth": [{"access_token": "***", "user": "ann"}],
        "Passphrase": "***",
    }
    [foreign] = await repo.query(logger="thirdparty.lib")
    assert (foreign.level, foreign.event) == ("warning", "plain stdlib message")
    lines = [json.loads(line) for line in console.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["slice.sent", "plain stdlib message"]
    assert not any(secret in console.getvalue() for secret in SECRETS)
    stored = json.dumps([r.fields for r in await repo.query()])
    assert not any(secret in stored for secret in SECRETS)


async def test_a_full_batch_is_written_without_waiting_for_the_interval(
    database: Database, wait_until: WaitUntil
) -> None:
    repo = SqlLogRepository(database)
    sink = DbLogSink(repo, batch_size=5, flush_interval_s=3600)
    configure_logging("info", json=True, sink=sink, stream=io.StringIO())
    await sink.start()
    log = structlog.get_logger("tradewind.test")

    for i in range(12):
        log.info("tick", i=i)

    await wait_until(lambda: sink.written >= 10, what="two full batches written")
    await sink.stop()
    assert [r.fields["i"] for r in await repo.query()] == list(range(12))


async def test_events_from_worker_threads_and_exceptions_are_recorded(database: Database) -> None:
    repo = SqlLogRepository(database)
    sink = DbLogSink(repo, flush_interval_s=3600)
    configure_logging("info", json=False, sink=sink, stream=io.StringIO())
    await sink.start()
    log = structlog.get_logger("tradewind.worker")

    await asyncio.to_thread(log.info, "from.thread", job_id=42)
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        log.exception("it.failed", job_id=42)
    await sink.stop()

    thread_event, failure = await repo.query(job_id="42")
    assert thread_event.event == "from.thread"
    assert (failure.level, failure.event) == ("error", "it.failed")
    assert "ZeroDivisionError" in failure.fields["exception"]


async def test_records_survive_a_database_outage_and_are_written_after_it(sqlite_database: Database) -> None:
    repo = SqlLogRepository(sqlite_database)
    sink = DbLogSink(repo, flush_interval_s=3600)
    configure_logging("info", json=True, sink=sink, stream=io.StringIO())
    log = structlog.get_logger("tradewind.outage")
    sqlite_database.downgrade("base")  # the logs table is gone: every write fails

    log.info("during.outage", n=1)
    with pytest.raises(Exception, match="no such table"):
        await sink.flush()
    assert (sink.pending, sink.write_errors) == (1, 1)

    sqlite_database.upgrade()
    assert await sink.flush() == 1
    assert [r.event for r in await repo.query()] == ["during.outage"]


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        configure_logging("loud")


@pytest.mark.parametrize("as_json", [True, False])
def test_tracebacks_never_show_local_variables(as_json: bool) -> None:
    console = io.StringIO()
    configure_logging("info", json=as_json, stream=console)

    def sign(api_secret: str) -> None:
        raise RuntimeError("bad signature")

    try:
        sign(SECRETS[0])
    except RuntimeError:
        structlog.get_logger("tradewind.auth").exception("sign.failed")

    assert "bad signature" in console.getvalue()
    assert SECRETS[0] not in console.getvalue()
