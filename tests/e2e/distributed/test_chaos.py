"""Chaos: the distributed services over RabbitMQ and PostgreSQL while the broker restarts and the database stops 20 s.

Six service processes (sim-exchange with its swarm publishing ``md.*``, market-data, storage, gateway, twap-scheduler,
twap-ordering) run a TWAP job and the market data. RabbitMQ is restarted, then PostgreSQL is stopped for 20 s. Every
``/readyz`` must answer 503 while a dependency it has is down and 200 after; no process may exit; the job must fill
exactly its total with one order per client order id at the exchange; every trade the sim-exchange published must be
stored exactly once. The figures are printed (``-s``) and kept in docs/reliability.md.

Marked ``serial``: it restarts the machine's RabbitMQ and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from tests.support.processes import free_port
from tests.support.rabbitmq import Broker
from tests.support.waiting import in_background

from .distributed_support import CREDENTIALS, ServiceProcess, StartService, job_fills, simsrv_config, twap_cli, until

pytestmark = [pytest.mark.serial, pytest.mark.e2e, pytest.mark.timeout(420)]

TOTAL = Decimal("0.012")
JOB = "chaos1"
RUNTIME_S, SLICES = 60, 6
DB_DOWN_S = 20.0
BROKER_DOWN_S = 3.0  # held down after stop_app returns, so every service's probe sees it
SERVICES = ("storage", "sim-exchange", "market-data", "gateway", "twap-scheduler", "twap-ordering")
NO_DATABASE = {"sim-exchange"}  # the swarm and the venue keep no rows: PostgreSQL is not its dependency
POLL_S = 0.25

Row = dict[str, Any]


def _pg_ctl(action: str) -> None:
    (version,) = [p.name for p in Path("/etc/postgresql").iterdir()]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True, timeout=120)


def _pg_up(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@dataclass
class Probe:
    """Each service's /readyz, polled in the background: (monotonic time, status, body) per service."""

    urls: dict[str, str]
    seen: dict[str, list[tuple[float, int, Any]]] = field(default_factory=dict)

    async def poll(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                await asyncio.gather(*(self._one(session, name, url) for name, url in self.urls.items()))
                await asyncio.sleep(POLL_S)

    async def _one(self, session: aiohttp.ClientSession, name: str, url: str) -> None:
        try:
            async with session.get(url + "/readyz") as response:
                entry = (time.monotonic(), response.status, await response.json())
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            entry = (time.monotonic(), 0, repr(exc))  # 0: no answer at all (a process gone would show here)
        self.seen.setdefault(name, []).append(entry)

    def statuses(self, name: str, start: float, end: float) -> list[int]:
        return [status for at, status, _ in self.seen.get(name, []) if start <= at <= end]

    def reasons(self, name: str, start: float, end: float) -> list[Any]:
        return [body for at, status, body in self.seen.get(name, []) if start <= at <= end and status != 200]

    def unready_s(self, name: str, start: float, end: float) -> float | None:
        """How long ``name`` answered other than 200 between ``start`` and ``end``: first refusal to first 200 after."""
        entries = [(at, status) for at, status, _ in self.seen.get(name, []) if start <= at <= end]
        first = next((i for i, (_, status) in enumerate(entries) if status != 200), None)
        if first is None:
            return None
        back = next((at for at, status in entries[first:] if status == 200), entries[-1][0])
        return round(back - entries[first][0], 1)

    def latest(self) -> dict[str, int]:
        return {name: entries[-1][1] for name, entries in self.seen.items() if entries}


@pytest.fixture
def config(tmp_path: Path, service_env: dict[str, str]) -> tuple[Path, int]:
    """The services' YAML naming the sim-exchange service's own port as the ``simsrv`` Bybit entry."""
    port = free_port()
    service_env.update(CREDENTIALS)
    service_env.update(
        TRADEWIND_SIM_EXCHANGE__PORT=str(port),
        TRADEWIND_TWAP__REDISPATCH_AFTER_S="5",  # a slice dead-lettered during the outage goes again soon after
        TRADEWIND_TWAP__WAKE_POLL_S="2",
    )
    path = tmp_path / "tw.yaml"
    simsrv_config(path, port)
    return path, port


@pytest.fixture
def query(postgres_url: str, pg_schema: str) -> Iterator[Callable[[str], list[Row]]]:
    engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={pg_schema}"})

    def run(sql: str) -> list[Row]:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(sql))]

    yield run
    engine.dispose()


@pytest.fixture
def database_restored(postgres_url: str) -> Iterator[None]:
    """Whatever happens, PostgreSQL runs again afterwards (the broker fixture does the same for RabbitMQ)."""
    yield
    if not _pg_up(postgres_url):
        _pg_ctl("start")


async def _all_ready(probe: Probe, since: float) -> float:
    """Seconds from ``since`` until every service answered 200 again."""

    async def latest() -> dict[str, int]:
        return probe.latest()

    await until(latest, lambda statuses: set(statuses.values()) == {200} and len(statuses) == len(SERVICES),
                "every /readyz 200 again")  # fmt: skip
    return time.monotonic() - since


async def _get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def _queue_lag(health_url: str, queue: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(health_url + "/metrics") as response:
        page = await response.text()
    for line in page.splitlines():
        if line.startswith(f'tradewind_queue_lag_messages{{queue="{queue}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return -1.0


async def test_broker_restart_and_database_outage_lose_nothing_duplicate_nothing_and_readiness_tells_the_truth(  # noqa: PLR0917
    start_service: StartService,
    service_env: dict[str, str],
    config: tuple[Path, int],
    query: Callable[[str], list[Row]],
    postgres_url: str,
    broker: Broker,
    database_restored: None,
    tmp_path: Path,
) -> None:
    yaml, _port = config
    started = time.monotonic()
    storage = await start_service("storage")  # migrates the schema the others check at start
    sim = await start_service("sim-exchange", "-c", str(yaml))
    others = await asyncio.gather(*(start_service(name, "-c", str(yaml)) for name in SERVICES[2:]))
    services: dict[str, ServiceProcess] = {"storage": storage, "sim-exchange": sim}
    services.update(zip(SERVICES[2:], others, strict=True))
    gateway_url = str((services["gateway"].event("gateway.http_listening") or {})["url"])
    probe = Probe({name: str((s.event("service.ready") or {})["health_url"]) for name, s in services.items()})
    figures: dict[str, Any] = {"start_s": round(time.monotonic() - started, 1)}

    async with in_background(probe.poll()):
        await _all_ready(probe, time.monotonic())
        await twap_cli(service_env, tmp_path, "create", "Buy", "BTCUSDT", "--qty", str(TOTAL),
                       "--runtime", str(RUNTIME_S), "--slices", str(SLICES), "--id", JOB, "-c", str(yaml))  # fmt: skip
        job_started = time.monotonic()

        # 1. The broker restarts (the Erlang node stays up; every connection is dropped).
        await asyncio.sleep(3)
        broker_stopping = time.monotonic()
        await broker.stop_app()
        broker_down = time.monotonic()
        await asyncio.sleep(BROKER_DOWN_S)
        await broker.start_app()
        broker_up = time.monotonic()
        figures["broker_down_s"] = round(broker_up - broker_stopping, 1)
        figures["broker_all_ready_after_start_s"] = round(await _all_ready(probe, broker_up), 1)
        broker_settled = time.monotonic()

        # 2. PostgreSQL stops for 20 s.
        pg_stopping = time.monotonic()
        await asyncio.to_thread(_pg_ctl, "stop")
        pg_down = time.monotonic()
        await asyncio.sleep(1.0)
        during_status, during_body = await _get(f"{gateway_url}/twap/{JOB}")
        await asyncio.sleep(max(0.0, DB_DOWN_S - (time.monotonic() - pg_stopping)))
        pg_starting = time.monotonic()
        await asyncio.to_thread(_pg_ctl, "start")
        pg_up = time.monotonic()
        figures["database_down_s"] = round(pg_up - pg_stopping, 1)
        figures["database_all_ready_after_start_s"] = round(await _all_ready(probe, pg_up), 1)
        database_settled = time.monotonic()

        async def job() -> Row:
            return query(f"SELECT * FROM twap_jobs WHERE job_id = '{JOB}'")[0]

        done = await until(job, lambda j: j["status"] != "running", "the job to end")
        figures["job_done_after_s"] = round(time.monotonic() - job_started, 1)
        after_status, _ = await _get(f"{gateway_url}/twap/{JOB}")

    # Readiness told the truth: 503 while a dependency was down, for every service that has it.
    for name in SERVICES:
        assert 503 in probe.statuses(name, broker_down, broker_up), (name, probe.seen.get(name, [])[-5:])
        db_window = probe.statuses(name, pg_down, pg_starting)
        assert (503 not in db_window) if name in NO_DATABASE else (503 in db_window), (name, db_window)
        assert 0 not in probe.statuses(name, started, time.monotonic()), f"{name} stopped answering"
    assert during_status == 503 and during_body["dependency"] == "database", during_body
    assert after_status == 200
    exits = {name: s.process.returncode for name, s in services.items() if s.process.returncode is not None}
    assert exits == {}, {name: services[name].output() for name in exits}  # no service exited by itself

    # The job: exactly its total, one order per recorded client order id at the exchange itself.
    assert done["status"] == "completed", done
    assert Decimal(done["filled_qty"]) == TOTAL
    fills = await job_fills(yaml, JOB)
    assert sum((f.qty for f in fills), Decimal(0)) == TOTAL
    assert len({f.trade_id for f in fills}) == len(fills)
    attempts = query(f"SELECT client_order_id, filled_qty FROM twap_slices WHERE job_id = '{JOB}'")
    sent = {a["client_order_id"]: Decimal(a["filled_qty"]) for a in attempts if a["client_order_id"]}
    assert len(sent) == len([a for a in attempts if a["client_order_id"]])  # no client order id recorded twice
    on_exchange: Counter[str] = Counter()
    for fill in fills:
        on_exchange[fill.client_order_id] += fill.qty  # type: ignore[assignment]
    assert dict(on_exchange) == {coid: qty for coid, qty in sent.items() if qty}

    # Market data: every trade the sim-exchange published (confirmed by the broker) stored exactly once.
    assert await sim.terminate() == 0, sim.output()
    published = int(((sim.event("service.stopped") or {}).get("sent") or {}).get("md.trade", 0))
    storage_health = probe.urls["storage"]

    async def lag() -> float:
        return await _queue_lag(storage_health, "storage.md")

    await until(lag, lambda depth: depth == 0, "storage to drain its queue")
    assert await storage.terminate() == 0, storage.output()  # flushes what it holds
    stored = query("SELECT count(*) AS n, count(DISTINCT (exchange, category, symbol, ts, trade_id)) AS d "
                   "FROM market_trades")[0]  # fmt: skip
    assert published > 0 and stored["n"] == stored["d"] == published, (published, stored)
    for name in SERVICES[2:]:
        assert await services[name].terminate() == 0, services[name].output()

    crashes = {name: sum(1 for e in s.events if e.get("event") == "component.crashed") for name, s in services.items()}
    figures.update(
        trades_published=published, trades_stored=stored["n"], slices=len(sent), fills=len(fills),
        restarts={name: n for name, n in crashes.items() if n}, total_s=round(time.monotonic() - started, 1),
        broker_unready_s={name: probe.unready_s(name, broker_stopping, broker_settled) for name in SERVICES},
        database_unready_s={name: probe.unready_s(name, pg_stopping, database_settled) for name in SERVICES},
        broker_reason=(probe.reasons("twap-scheduler", broker_down, broker_up) or [None])[0],
        database_reason=(probe.reasons("twap-scheduler", pg_down, pg_starting) or [None])[0],
    )  # fmt: skip
    print("\nchaos figures:", figures)
    # An outage is waited out, not crashed through: a crash would turn /healthz red and invite a pointless restart.
    assert crashes["twap-scheduler"] == 0, services["twap-scheduler"].output()
