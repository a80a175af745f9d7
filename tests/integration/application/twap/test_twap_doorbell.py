"""A job created by another process (a CLI ``create``, whose in-memory bus does not reach ``twap run``) is picked up
at once: the control service rings the scheduler's doorbell, a Unix socket named after the database."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.twap import D, rig
from tests.support.waiting import eventually, wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.exchanges.sim.gateway import SimGateway
from tradewind.adapters.scheduling.doorbell import UnixDoorbell, doorbell_path
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.adapters.store.sqlalchemy.repositories import SqlLogRepository
from tradewind.application.twap.journal import JobJournal
from tradewind.application.twap.service import TwapService
from tradewind.domain.twap.job import TwapJob
from tradewind.domain.twap.spec import TwapSpec
from tradewind.domain.values import Category, Side

pytestmark = pytest.mark.integration


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # A Unix socket path is at most 107 bytes: pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="tw-") as folder:
        yield Path(folder)


async def test_a_ring_wakes_the_listener_and_a_second_listener_stands_aside(short_dir: Path) -> None:
    path = short_dir / "bell.sock"
    rings: list[int] = []
    first, second = UnixDoorbell(path), UnixDoorbell(path)
    UnixDoorbell(path).ring()  # nobody listens yet: dropped, no error
    assert await first.listen(lambda: rings.append(1))
    try:
        assert not await second.listen(lambda: rings.append(2))
        UnixDoorbell(path).ring()
        await wait_for(lambda: rings == [1])
    finally:
        await first.close()
    assert not path.exists()


async def test_a_socket_file_left_by_a_dead_process_is_taken_over(short_dir: Path) -> None:
    path = short_dir / "bell.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(path))
    dead.close()  # the file stays, as after a SIGKILL
    rings: list[int] = []
    bell = UnixDoorbell(path)
    assert await bell.listen(lambda: rings.append(1))
    try:
        UnixDoorbell(path).ring()
        await wait_for(lambda: rings == [1])
    finally:
        await bell.close()


def test_the_path_depends_on_the_database_not_the_working_folder(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(short_dir)
    relative, absolute = Database("sqlite:///tw.db"), Database(f"sqlite:///{short_dir / 'tw.db'}")
    other = Database(f"sqlite:///{short_dir / 'other.db'}")
    try:
        assert doorbell_path(relative) == doorbell_path(absolute) != doorbell_path(other)
    finally:
        for database in (relative, absolute, other):
            database.dispose()


async def test_a_job_created_by_another_process_is_dispatched_without_waiting_for_a_poll(
    tmp_path: Path, short_dir: Path
) -> None:
    path = short_dir / "bell.sock"
    async with rig(tmp_path, doorbell=UnixDoorbell(path)) as r:
        # The other process: its own bus, which reaches no scheduler; the same database.
        other_bus = InMemoryBus()
        await other_bus.start()
        journal = JobJournal(SqlLogRepository(r.database), r.clock)
        gateways = {"sim": SimGateway(r.venue, "trader")}
        cli = TwapService(r.repo, gateways, other_bus, r.clock, journal, None, UnixDoorbell(path))
        spec = TwapSpec("sim", Category.SPOT, "BTCUSDT", Side.BUY, 600, 10, quantity=D("0.1"))
        job = await cli.create(spec, job_id="fromcli")
        # The simulated clock does not move: only the ring can have woken the scheduler.
        done: TwapJob = await eventually(lambda: r.job(job.job_id), lambda j: j.next_index >= 1)
        await other_bus.close()
    assert done.filled_qty == D("0.01")
