"""Telegram notifications of trade objects on the embedded system: `buy btc 80 -tsl 2.8` sent from an allowlisted
chat opens a trade, a scripted price path closes it at its trailing level, and the chat of the user with notify on
hears both; a user with notify off and a chat not on the allowlist hear nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from tests.e2e.trades.painted import painted_settings
from tests.support.tape_painter import TapePainter
from tests.support.telegram_api import bot_api
from tests.support.waiting import eventually
from tradewind.bootstrap.embedded import build_embedded
from tradewind.domain.trading.trades import TradeStatus

D = Decimal
TIM, VIC, STRANGER = 7101, 7102, 7199
OPENED = re.compile(r"Trade (\d+) opened on sim spot: Buy 0\.\d{6} BTCUSDT at 100000\.0, fees \d+\.\d{7} USDT")
CLOSED = re.compile(
    r"Trade (\d+) closed \(trailing stop\) on sim spot: Buy 0\.\d{6} BTCUSDT at 100000\.0 -> 100116\.0, "
    r"PnL [+-]\d+\.\d{7} USDT, fees \d+\.\d{7} USDT"
)


async def test_an_open_and_its_trailing_stop_close_reach_the_notified_chat_only(tmp_path: Path) -> None:
    async with bot_api() as api:
        settings = painted_settings(tmp_path, api, [
            {"name": "tim", "role": "trade", "telegram_chats": [TIM]},
            {"name": "vic", "role": "trade", "telegram_chats": [VIC], "notify": False},
        ])  # fmt: skip
        system = build_embedded(settings, console_logging=False, serve_exchange=False)
        await system.start()
        try:
            desk = system.trades
            assert desk is not None
            painter = TapePainter(system.platform.market.venue)  # type: ignore[union-attr]
            painter.offer(D(100_000), D(1))

            api.send_text(STRANGER, "buy btc 80 -tsl 2.8")
            assert await api.reply_count(STRANGER, 1) == ["refused: not allowed: chat 7199 is not a configured user"]
            assert await desk.desk.trades(live_only=False) == []

            api.send_text(TIM, "buy btc 80 -tsl 2.8")
            answer_and_notice = await api.reply_count(TIM, 2)  # the command's answer and the push, in either order
            (opened,) = [m for m in answer_and_notice if OPENED.fullmatch(m)]
            (answer,) = [m for m in answer_and_notice if m != opened]
            assert '"status": "open"' in answer, answer
            (trade,) = await desk.desk.trades()
            assert OPENED.fullmatch(opened)[1] == str(trade.id)  # type: ignore[index]

            # Up to 103000 (the trailing level follows to 103000 x 0.972 = 100116), then down to it, where a bid
            # waits for the trade's market sell.
            painter.clear()
            for price in (D(101_000), D(103_000)):
                painter.print_at(price)
            await eventually(desk.desk.trades, lambda ts: [t.best_price for t in ts] == [D(103_000)])
            level = D(103_000) * (1 - D("2.8") / 100)
            painter.bid(level, D("0.01"))
            painter.print_at(level)
            closed_notice = (await api.reply_count(TIM, 3))[2]
            assert CLOSED.fullmatch(closed_notice), closed_notice
            (done,) = await desk.desk.trades(live_only=False)
            assert (done.status, done.close_reason) == (TradeStatus.CLOSED, "trailing_stop")
            assert f"PnL {'' if done.pnl() < 0 else '+'}{done.pnl().quantize(D('0.0000001'))} USDT" in closed_notice

            # Every push of an event goes to the notified chats in one pass: once TIM has the close, it is done.
            assert api.replies(VIC) == []
            assert api.replies(STRANGER) == ["refused: not allowed: chat 7199 is not a configured user"]
        finally:
            await system.stop()
