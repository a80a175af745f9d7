"""The terminal prompt of `tradewind run`, typed into through prompt_toolkit's pipe input over the real embedded
system: commands run through the command gate, `quit` asks y/N, and once confirmed the system stops with every
published event recorded."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.support.waiting import wait_for
from tradewind.application.ports.command_journal import ReceiptStatus
from tradewind.bootstrap.embedded import EmbeddedSystem, build_embedded
from tradewind.domain.command_access import Role, User
from tradewind.interfaces.console.prompt import TerminalPrompt
from tradewind.settings import Settings


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
            "logging": {"to_database": False},
            "http": {"enabled": False},
            "simulator": {"step_interval_ms": 20},
        }
    )
    system = build_embedded(settings, console_logging=False, serve_exchange=False)
    await system.start()
    try:
        yield system
    finally:
        await system.stop()


async def test_commands_run_and_a_confirmed_quit_stops_the_system_with_nothing_lost(
    system: EmbeddedSystem, tmp_path: Path
) -> None:
    with create_pipe_input() as keys:
        prompt = TerminalPrompt(system.gate, User("operator", Role.ADMIN), system.board, input=keys,
                                output=DummyOutput())  # fmt: skip
        running = asyncio.create_task(prompt.run(system.shutdown))

        async def typed(line: str, receipts: int) -> None:
            keys.send_text(line + "\r")
            await wait_for(lambda: len(prompt.receipts) >= receipts)

        await typed("twap buy btc 0.01 over 1h slices 4 --id t1", 1)
        assert prompt.receipts[0].status is ReceiptStatus.DONE, prompt.receipts[0]
        await typed("twap cancel t1", 2)
        keys.send_text("n\r")  # not confirmed: the job keeps running
        await typed("twap lst", 3)
        assert (
            prompt.receipts[2].status is ReceiptStatus.INVALID and 'did you mean "list"' in prompt.receipts[2].message
        )
        await typed("quit", 4)
        assert prompt.receipts[3].status is ReceiptStatus.PENDING and not system.shutdown.is_set()
        keys.send_text("y\r")
        await asyncio.wait_for(running, 30)  # the prompt ends once quit is carried out
    assert system.shutdown.is_set() and prompt.receipts[4].outcome == {"stopping": True}
    await system.stop()
    published = system.simulator.published
    assert published > 0 and system.recorder.stats.written == published
    with sqlite3.connect(tmp_path / "tw.db") as db:
        rows = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                   for t in ("market_trades", "market_mids", "book_snapshots"))  # fmt: skip
        statuses = dict(db.execute("SELECT job_id, status FROM twap_jobs").fetchall())
        audited = [r[0] for r in db.execute("SELECT text FROM command_audit ORDER BY id")]
    assert rows == published
    assert statuses == {"t1": "running"}  # the cancel was not confirmed
    assert audited == ["twap buy btc 0.01 over 1h slices 4 --id t1", "twap cancel t1", "twap lst", "quit",
                       "confirm " + prompt.receipts[3].code]  # type: ignore[operator]  # fmt: skip
