"""Acceptance of the trade objects on the embedded system: `buy btc 80 -tsl 2.8` from each of the three front ends
(POST /commands, the Telegram stand-in, the terminal prompt through its pipe input) opens a trade, `/trades` shows
them while open, and a scripted price path on the simulated market closes each at its trailing level."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from typer.testing import CliRunner

from tests.e2e.trades.painted import painted_settings
from tests.support.http_api import TOKEN, authorized_session
from tests.support.tape_painter import TapePainter
from tests.support.telegram_api import bot_api
from tests.support.waiting import eventually, wait_for
from tradewind.bootstrap.embedded import build_embedded
from tradewind.domain.command_access import Role, User
from tradewind.domain.trading.trades import TradeStatus
from tradewind.interfaces.cli.app import app
from tradewind.interfaces.console.prompt import TerminalPrompt

D = Decimal
CHAT = 7101
TICK = D("0.1")


async def test_buy_with_a_trailing_stop_from_each_front_end_closes_at_the_trailing_level(tmp_path: Path) -> None:
    async with bot_api() as api:
        # notify off: the chat's first message is the answer, not the push of a trade (test_trade_notifications)
        settings = painted_settings(
            tmp_path, api, [{"name": "tim", "role": "trade", "telegram_chats": [CHAT], "notify": False}]
        )
        system = build_embedded(settings, console_logging=False, serve_exchange=False)
        await system.start()
        try:
            assert system.exchange.market is not None
            painter = TapePainter(system.platform.market.venue)  # type: ignore[union-attr]
            painter.offer(D(100_000), D(1))  # what the three buys fill against
            base = system.http_url

            text = {"text": "buy btc 80 -tsl 2.8"}
            async with authorized_session() as http, http.post(f"{base}/commands", json=text) as response:
                answer = await response.json()
                assert response.status == 200, answer
                assert answer["outcome"][0]["status"] == "open"
            api.send_text(CHAT, "buy btc 80 -tsl 2.8")
            (replied,) = await api.reply_count(CHAT, 1)
            assert "open" in replied, replied
            with create_pipe_input() as keys:
                prompt = TerminalPrompt(system.gate, User("ops", Role.TRADE), None, input=keys, output=DummyOutput())
                stop = asyncio.Event()
                running = asyncio.create_task(prompt.run(stop))
                keys.send_text("buy btc 80 -tsl 2.8\r")
                await wait_for(lambda: len(prompt.receipts) >= 1)
                stop.set()
                await asyncio.wait_for(running, 30)
            assert prompt.receipts[0].outcome[0]["status"] == "open", prompt.receipts[0]  # type: ignore[index]

            async def listed() -> list[dict[str, object]]:
                async with authorized_session() as http, http.get(f"{base}/trades") as response:
                    assert response.status == 200
                    return await response.json()  # type: ignore[no-any-return]

            opened = await listed()
            assert [(t["side"], t["entry_price"], t["risk"]) for t in opened] == [
                ("Buy", "100000", {"trailing_stop": "2.8"})
            ] * 3

            def cli(*args: str) -> tuple[int, str]:
                result = CliRunner().invoke(app, ["trades", *args, "--api", str(base), "--token", TOKEN])
                return result.exit_code, result.output

            code, shown = await asyncio.to_thread(cli)
            assert code == 0 and shown.count(" open ") == 3 and "trailing_stop=2.8" in shown, shown

            # The price path: up to 103000 (the trailing level follows to 103000 x 0.972 = 100116), back above the
            # level, then down to it, where bids wait for the trades' market sells.
            painter.clear()
            for price in (D(101_000), D(103_000)):
                painter.print_at(price)
            await eventually(listed, lambda ts: all(t["best_price"] == "103000" for t in ts))
            level = D(103_000) * (1 - D("2.8") / 100)
            painter.bid(level, D("0.01"))
            painter.print_at(D(100_500))
            assert all(t["status"] == "open" for t in await listed())
            painter.print_at(level)
            assert (await eventually(listed, lambda ts: ts == [])) == []
            code, shown = await asyncio.to_thread(cli, "--all", "--json")
            assert code == 0 and shown.count('"close_reason": "trailing_stop"') == 3, shown

            desk = system.trades
            assert desk is not None
            closed = await desk.desk.trades(live_only=False)
            assert len(closed) == 3
            for trade in closed:
                assert (trade.status, trade.close_reason) == (TradeStatus.CLOSED, "trailing_stop")
                assert trade.close_price is not None and abs(trade.close_price - level) <= TICK
        finally:
            await system.stop()
