"""TWAP jobs in the store on SQLite and PostgreSQL: migrations 0008 (order tag, archived) and 0009 (tick size)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import text

from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.domain.ids import JobId
from tradewind.domain.twap.codec import spec_to_payload
from tradewind.domain.twap.job import JobStatus, TwapJob
from tradewind.domain.twap.slicer import slice_client_order_id
from tradewind.domain.twap.spec import TwapSpec
from tradewind.domain.values import Category, Side

pytestmark = pytest.mark.integration
SPEC = TwapSpec("sim", Category.SPOT, "BTCUSDT", Side.BUY, 60, 2, quantity=Decimal("0.02"))


def _job(job_id: str, status: JobStatus = JobStatus.RUNNING) -> TwapJob:
    return TwapJob(
        JobId(job_id), SPEC, Decimal("0.02"), Decimal("0.000001"), (10_000, 10_000), (0, 30 * 10**9), 1, 1,
        status=status, order_tag="ab12cd",
    )  # fmt: skip


async def test_a_job_stored_before_0008_keeps_its_untagged_client_ids_and_is_not_archived(
    empty_database: Database,
) -> None:
    empty_database.upgrade("0007_unique_mids")
    row = {
        "job_id": "old1", "exchange": "sim", "category": "spot", "symbol": "BTCUSDT", "side": "Buy",
        "status": "running", "spec": json.dumps(spec_to_payload(SPEC)), "total_qty": "0.02", "qty_step": "0.000001",
        "plan": "[10000, 10000]", "offsets_ns": "[0, 30000000000]", "start_ns": 1, "created_ns": 1, "next_index": 1,
        "dispatched": 1, "filled_qty": "0.01", "reason": "",
    }  # fmt: skip
    with empty_database.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO twap_jobs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    empty_database.upgrade()
    job = await SqlTwapRepository(empty_database).get_job(JobId("old1"))
    assert job is not None and job.order_tag == "" and not job.archived
    assert slice_client_order_id(job.job_id, 1, 0, job.order_tag) == "tw-old1-1-0"  # its sent slice's id, unchanged


async def test_only_an_ended_job_is_archived_and_lists_leave_it_out_on_request(database: Database) -> None:
    repo = SqlTwapRepository(database)
    await repo.add_job(_job("live"))
    await repo.add_job(_job("done", JobStatus.COMPLETED))
    assert not await repo.archive(JobId("live"))
    assert await repo.archive(JobId("done"))
    assert not await repo.archive(JobId("done"))  # once
    stored = await repo.get_job(JobId("done"))
    assert stored is not None and stored.archived and stored.order_tag == "ab12cd"
    assert [j.job_id for j in await repo.list_jobs(archived=False)] == ["live"]
    assert sorted(j.job_id for j in await repo.list_jobs()) == ["done", "live"]
    assert [j.job_id for j in await repo.list_jobs(JobStatus.COMPLETED, archived=False)] == []


async def test_a_job_keeps_its_tick_size_and_one_stored_before_0009_has_none(empty_database: Database) -> None:
    empty_database.upgrade("0008_twap_order_tag_archived")
    row = {
        "job_id": "old", "exchange": "sim", "category": "spot", "symbol": "BTCUSDT", "side": "Buy",
        "status": "running", "spec": json.dumps(spec_to_payload(SPEC)), "total_qty": "0.02", "qty_step": "0.000001",
        "plan": "[10000, 10000]", "offsets_ns": "[0, 30000000000]", "start_ns": 1, "created_ns": 1, "next_index": 0,
        "dispatched": -1, "filled_qty": "0", "reason": "",
    }  # fmt: skip
    with empty_database.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO twap_jobs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    empty_database.upgrade()
    repo = SqlTwapRepository(empty_database)
    await repo.add_job(replace(_job("new"), tick_size=Decimal("0.1")))
    old, new = await repo.get_job(JobId("old")), await repo.get_job(JobId("new"))
    assert old is not None and old.tick_size is None
    assert new is not None and new.tick_size == Decimal("0.1")
