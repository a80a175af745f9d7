"""An exchange that does not answer at start does not keep TWAP (or the system around it) down: it is asked again in
the background and trades once it answers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.bybit_server import secret_of, seeded_venue
from tests.support.waiting import wait_for
from tradewind.adapters.clock import WallClock
from tradewind.application.ports.exchange import UnknownInstrument
from tradewind.bootstrap.twap import build_twap
from tradewind.domain.values import Category
from tradewind.interfaces.sim_exchange import SimExchangeSettings, create_sim_exchange_app, start_server
from tradewind.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_exchange_down_at_start_is_connected_once_it_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    monkeypatch.setenv("TRADEWIND_LATE_API_KEY", "trader-1")
    monkeypatch.setenv("TRADEWIND_LATE_API_SECRET", secret_of("trader-1"))
    settings = Settings.model_validate({
        "storage": {"url": f"sqlite:///{tmp_path / 'tw.db'}"},
        "exchanges": {"default": "late", "entries": {
            "late": {"type": "bybit", "env": "sim-server", "url": f"http://127.0.0.1:{port}", "timeout_s": 2,
                     "max_retries": 0},
        }},
    })  # fmt: skip
    twap = build_twap(settings, execute=False)
    await twap.start()  # nothing listens on the port yet: start returns all the same
    runner = None
    try:
        with pytest.raises(UnknownInstrument, match="no instruments loaded yet"):
            twap.gateways["late"].instrument(Category.SPOT, "BTCUSDT")
        app = create_sim_exchange_app(seeded_venue(WallClock()), SimExchangeSettings(port=port))
        runner, _ = await start_server(app, "127.0.0.1", port)

        def loaded() -> bool:
            try:
                twap.gateways["late"].instrument(Category.SPOT, "BTCUSDT")
            except UnknownInstrument:
                return False
            return True

        await wait_for(loaded, timeout=30)  # first retry after 1 s, then 2 s, 4 s ...
    finally:
        await twap.stop()
        if runner is not None:
            await runner.cleanup()
