"""TWAP distributed: twap-scheduler and twap-ordering as separate processes over RabbitMQ and PostgreSQL.

The exchange is a ``tradewind sim-exchange`` process reached over HTTP (ccxt gateway); the ordering
service is SIGKILLed mid-job and started again, and the job must still end with exactly its total.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tradewind.adapters.bus.rabbitmq import RabbitMqBus
from tradewind.adapters.bus.rabbitmq_settings import RabbitMqSettings

from .distributed_support import CREDENTIALS, StartService, job_fills, sim_exchange, simsrv_config, twap_cli, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

TOTAL = Decimal("0.012")
JOB = "dist1"

Row = dict[str, Any]


@pytest.fixture
async def exchange(tmp_path: Path) -> AsyncIterator[int]:
    async with sim_exchange(tmp_path) as port:
        yield port


@pytest.fixture
def config(tmp_path: Path, exchange: int, service_env: dict[str, str]) -> Path:
    """The services' YAML (the exchange entry); the environment brings the broker, the schema and the keys."""
    service_env.update(CREDENTIALS)
    path = tmp_path / "tw.yaml"
    simsrv_config(path, exchange)
    return path


@pytest.fixture
def query(postgres_url: str, pg_schema: str) -> Iterator[Callable[[str], list[Row]]]:
    """``query(sql)``: rows of this test's schema, as dicts."""
    engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={pg_schema}"})

    def run(sql: str) -> list[Row]:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(sql))]

    yield run
    engine.dispose()


async def test_ordering_service_killed_mid_job_restarts_and_the_job_fills_exactly_its_total(
    start_service: StartService,
    service_env: dict[str, str],
    config: Path,
    query: Callable[[str], list[Row]],
    tmp_path: Path,
) -> None:
    storage = await start_service("storage")  # migrates the schema the TWAP services check at start
    scheduler, ordering = await asyncio.gather(
        start_service("twap-scheduler", "-c", str(config)), start_service("twap-ordering", "-c", str(config))
    )
    await twap_cli(service_env, tmp_path, "create", "Buy", "BTCUSDT", "--qty", str(TOTAL), "--runtime", "12",
               "--slices", "6", "--id", JOB, "-c", str(config))  # fmt: skip

    def job() -> Row:
        return query(f"SELECT * FROM twap_jobs WHERE job_id = '{JOB}'")[0]

    async def job_now() -> Row:
        return job()

    await until(job_now, lambda j: j["next_index"] >= 2, "two slices done before the kill")
    assert job()["status"] == "running"
    ordering.process.kill()  # SIGKILL: whatever it held unacknowledged goes back to the durable queue
    await ordering.process.wait()
    # While it is down the scheduler dispatches the next slice into the durable queue, and it waits there.
    stalled = await until(job_now, lambda j: j["dispatched"] >= j["next_index"], "a slice dispatched meanwhile")
    restarted = await start_service("twap-ordering", "-c", str(config))
    done = await until(job_now, lambda j: j["status"] != "running", "the job to end after the restart")

    assert done["status"] == "completed", done
    assert Decimal(done["filled_qty"]) == TOTAL
    assert done["next_index"] == 6 and stalled["next_index"] < 6
    fills = await job_fills(config, JOB)
    assert sum((f.qty for f in fills), Decimal(0)) == TOTAL  # counted by the exchange itself
    assert len({f.trade_id for f in fills}) == len(fills)
    attempts = query(f"SELECT client_order_id, filled_qty FROM twap_slices WHERE job_id = '{JOB}'")
    sent = {a["client_order_id"]: Decimal(a["filled_qty"]) for a in attempts if a["client_order_id"]}
    on_exchange: Counter[str] = Counter()
    for fill in fills:
        on_exchange[fill.client_order_id] += fill.qty  # type: ignore[assignment]
    assert dict(on_exchange) == {coid: qty for coid, qty in sent.items() if qty}  # one order per recorded id
    log = query(f"SELECT event, fields FROM logs WHERE job_id = '{JOB}' ORDER BY ts_ns, id")
    events = [r["event"] for r in log]
    assert events[0] == "twap.created" and events[-1] == "twap.completed"
    # Each recorded order was logged as sent, or, when the kill landed between its send and its log line, found by
    # its client id after the restart (reconciled, found) instead of being sent again.
    found_again = sum(1 for r in log if r["event"] == "twap.reconciled" and r["fields"].get("found") is True)
    assert events.count("twap.slice_sent") + found_again == len(sent), events
    # Every slice ran, or was missed during the downtime and caught up (its quantity sent with a later one).
    ran = {a["slice_index"] for a in query(f"SELECT slice_index FROM twap_slices WHERE job_id = '{JOB}'")}
    missed = {int(i) for r in log if r["event"] == "twap.caught_up" for i in r["fields"]["missed"].split(",")}
    assert ran | missed == set(range(6)) and not ran & missed, events
    assert events.count("twap.slice_filled") == len(ran), events

    bus = RabbitMqBus(RabbitMqSettings(url=service_env["TRADEWIND_DISTRIBUTED__BUS__URL"]))
    await bus.start()
    try:
        assert await bus.dead_letters("twap.slice") == []
        await bus.publish("twap.slice", {"job_id": JOB})  # no slice index: poison, refused by twap-ordering
        dead = await until(lambda: bus.dead_letters("twap.slice"), bool, "the poisoned slice dead-lettered")
    finally:
        await bus.close()
    assert [d.payload for d in dead] == [{"job_id": JOB}]
    assert Decimal(job()["filled_qty"]) == TOTAL  # the poisoned message changed nothing

    for service in (restarted, scheduler, storage):
        assert await service.terminate() == 0, service.output()
