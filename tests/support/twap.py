"""An in-process TWAP rig: SimVenue with a resting book, SimGateway, SQLite, InMemoryBus, SimClock."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from tests.support.bybit_server import secret_of
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock, WallClock
from tradewind.adapters.exchanges.ccxt import CcxtGateway, open_gateway
from tradewind.adapters.exchanges.settings import Credentials, ExchangeSettings
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository
from tradewind.adapters.store.sqlalchemy.twap_repository import SqlTwapRepository
from tradewind.application.ports.exchange import ExchangeGateway
from tradewind.application.ports.twap import Doorbell
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.ordering import TwapOrdering
from tradewind.application.twap.scheduler import TwapScheduler
from tradewind.application.twap.service import TwapService
from tradewind.application.twap.settings import TwapSettings
from tradewind.application.venue import AccountSettings, OrderRequest, SimVenue, VenueSettings
from tradewind.domain.instruments import default_instruments
from tradewind.domain.matching.engine import MatchingEngine
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.values import Category, OrderType, Side, TimeInForce

D = Decimal
MID = D(100_000)
SHM = Path("/dev/shm")


def make_venue(clock: SimClock) -> SimVenue:
    rich = {"USDT": D(100_000_000), "BTC": D(1000)}
    accounts = tuple(
        AccountSettings(api_key=name, api_secret=SecretStr(f"{name}-secret"), balances=dict(rich))
        for name in ("trader", "maker")
    )
    return SimVenue([MatchingEngine(i) for i in default_instruments()], clock, VenueSettings(accounts=accounts))


def quote(venue: SimVenue, *, mid: Decimal = MID, step: str = "10", levels: int = 50, qty: str = "0.05") -> None:
    """The maker rests ``levels`` bids below and asks above ``mid``."""
    for i in range(1, levels + 1):
        for side, price in ((Side.BUY, mid - D(step) * i), (Side.SELL, mid + D(step) * i)):
            request = OrderRequest(Category.SPOT, "BTCUSDT", side, OrderType.LIMIT, D(qty), price, TimeInForce.GTC)
            venue.place_order("maker", request)


def sim_exchange_gateway(kind: str, url: str) -> CcxtGateway:
    """trader-1's gateway on the sim-exchange at ``url`` (instruments not loaded): ``bybit-v5``, ``unified`` (ccxt's
    unified API on the Bybit face) or ``binance`` (the Binance face)."""
    entry: dict[str, object] = {"type": "bybit", "env": "sim-server", "url": url, "timeout_s": 5, "backoff_s": 0.01}
    entry.update({"type": "binance"} if kind == "binance" else {"api": kind})
    credentials = Credentials(SecretStr("trader-1"), SecretStr(secret_of("trader-1")))
    return open_gateway(kind, ExchangeSettings.model_validate(entry), credentials, WallClock())


@dataclass
class Rig:
    clock: SimClock
    venue: SimVenue
    bus: InMemoryBus
    repo: SqlTwapRepository
    service: TwapService
    scheduler: TwapScheduler
    ordering: TwapOrdering
    stop: asyncio.Event
    database: Database

    async def job(self, job_id: str) -> TwapJob:
        job = await self.repo.get_job(job_id)  # type: ignore[arg-type]
        assert job is not None
        return job

    async def run_to_end(self, job_id: str, timeout: float = 10.0) -> TwapJob:
        """Advance the simulated clock to each wake-up the services wait for, until the job ends."""
        return await self.run_until(job_id, lambda job: job.status.is_final, timeout)

    async def run_until(self, job_id: str, done: Callable[[TwapJob], bool], timeout: float = 10.0) -> TwapJob:
        """Advance the simulated clock wake-up by wake-up until ``done(job)`` holds.

        The job is read from the database only when every service waits on the clock (or every 50 ms),
        so the driver costs the job little time.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_read = 0.0
        while True:
            waits = [w for w in (self.scheduler.wake_ns, self.ordering.wake_ns) if w is not None]
            # every slice in hand sleeps on the clock, and no slice message waits to be taken (moving time on before a
            # due slice is picked up would make it late)
            quiet = bool(waits) and not (self.ordering.busy or self.scheduler.busy or self.bus.waiting)
            if quiet or loop.time() - last_read > 0.05:
                last_read = loop.time()
                job = await self.job(job_id)
                if done(job):
                    return job
            if quiet:
                await self.clock.advance_to(max(min(waits), self.clock.now_ns()))
            else:
                await asyncio.sleep(0.0005)
            assert loop.time() < deadline, (
                f"job {job_id} did not end within {timeout} s: next={job.next_index} dispatched={job.dispatched} "
                f"now={self.clock.now_ns()} waits={self.scheduler.wake_ns},{self.ordering.wake_ns} "
                f"busy={self.ordering.busy} sleepers={self.clock.pending_sleepers}"
            )


@asynccontextmanager
async def rig(
    tmp_path: Path,
    database: Database | None = None,
    *,
    gateways: dict[str, ExchangeGateway] | None = None,
    venue: SimVenue | None = None,
    settings: TwapSettings | None = None,
    doorbell: Doorbell | None = None,
) -> AsyncIterator[Rig]:
    """The services on a SimClock; by default over an in-process venue with a resting book (``gateways`` and its
    ``venue`` replace them, e.g. ccxt gateways on a sim-exchange server). Over a given venue the clock starts at the
    venue's time, as a real deployment's clock agrees with its exchange's within seconds: a job looking back a week
    from January on a venue in December would ask the exchange for eleven months of fills."""
    clock = SimClock() if venue is None else SimClock(venue.clock.now_ns())
    if venue is None:
        venue = make_venue(clock)
        quote(venue)
    # SQLite on tmpfs when there is one: on disk every commit's fsync measures the disk, not the job.
    folder = SHM if os.path.isdir(SHM) else tmp_path  # noqa: ASYNC240 - one stat at set-up
    db = database or Database(f"sqlite:///{folder / f'twap-{uuid.uuid4().hex}.db'}")
    db.upgrade()
    bus = InMemoryBus()
    await bus.start()
    repo = SqlTwapRepository(db)
    journal = JobJournal(SqlLogRepository(db), clock)
    settings = settings or TwapSettings()
    gateways = gateways if gateways is not None else {"sim": SimGateway(venue, "trader")}
    scheduler = TwapScheduler(repo, bus, clock, journal, settings, doorbell=doorbell)
    ordering = TwapOrdering(repo, gateways, bus, clock, journal, settings)
    service = TwapService(repo, gateways, bus, clock, journal)
    await scheduler.start()
    await ordering.start()
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        yield Rig(clock, venue, bus, repo, service, scheduler, ordering, stop, db)
    finally:
        stop.set()
        await task
        await ordering.close()
        await scheduler.close()
        await bus.close()
        db.dispose()
        if database is None:
            for leftover in folder.glob(f"{Path(db.url.database or '').name}*"):
                leftover.unlink()
