"""SqlLogRepository: job logs land in the logs table and come back by job, logger and time."""

from __future__ import annotations

import pytest

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository
from tradewind.application.ports.repositories import LogRecord

T0 = 1_767_225_600_000_000_000


def records() -> list[LogRecord]:
    return [
        LogRecord(T0 + 3, "info", "slice.sent", "tradewind.twap", "job-1", {"slice": 2, "qty": "0.5"}),
        LogRecord(T0 + 1, "info", "slice.sent", "tradewind.twap", "job-1", {"slice": 1, "tags": ["a", "ü"]}),
        LogRecord(T0 + 2, "warning", "price.limit", "tradewind.twap", "job-2", {"limit": "65000"}),
        LogRecord(T0 + 4, "error", "ws.closed", "tradewind.bybit", None, {"nested": {"code": 1006}}),
    ]


async def test_records_come_back_by_job_in_time_order(database: Database) -> None:
    repo = SqlLogRepository(database)
    await repo.add(records())

    job = await repo.query(job_id="job-1")

    assert [r.fields["slice"] for r in job] == [1, 2]
    assert job[0] == records()[1]


async def test_records_filter_by_logger_and_time_window(database: Database) -> None:
    repo = SqlLogRepository(database)
    await repo.add(records())

    assert [r.event for r in await repo.query(logger="tradewind.bybit")] == ["ws.closed"]
    assert [r.ts_ns - T0 for r in await repo.query(start_ns=T0 + 2, end_ns=T0 + 4)] == [2, 3]
    assert [r.ts_ns - T0 for r in await repo.query(logger="tradewind.twap", limit=2)] == [1, 2]
    assert (await repo.query(job_id=None, logger="tradewind.bybit"))[0].fields == {"nested": {"code": 1006}}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (LogRecord(T0, "loud", "e", "x"), "level must be one of"),
        (LogRecord(T0, "info", "e", "x", fields={"qty": object()}), "not JSON-compatible"),
        (LogRecord(T0, "info", "e", "x", job_id="j" * 65), "job_id: expected a non-empty string of at most 64"),
        (LogRecord(T0, "info", "e", ""), "logger: expected a non-empty string"),
    ],
)
async def test_a_bad_record_is_refused_and_its_batch_not_stored(
    database: Database, bad: LogRecord, message: str
) -> None:
    repo = SqlLogRepository(database)

    with pytest.raises(ValueError, match=message):
        await repo.add([*records(), bad])

    assert await repo.query() == []
