"""A stop-loss the trader watches itself (spot) catches up at its restart on what the market printed while it was
down: the venue's one-minute candles (through the real gateways) proving the price reached the level close the deal
at market with reason stop_loss and a note of the late close, even if the price recovered since; a take-profit
printed meanwhile is not caught up; a venue refusing its candles costs a warning, not the start."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.application.trading.test_trader_trailing_catch_up import (
    candles_refused,
    simsrv_trader,
    stored,
)
from tests.integration.application.trading.test_trader_trailing_catch_up import printed as printed_at
from tests.support.bybit_server import Served
from tests.support.logs import captured_logs
from tests.support.signals import signal
from tests.support.venue_rig import CountingGateway
from tests.support.venue_rig import VenueRig as Rig
from tests.support.waiting import wait_for
from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.exchanges.ccxt import CcxtGateway
from tradewind.adapters.store.sqlalchemy.database import Database
from tradewind.application.trading.service import Outcome, TraderService
from tradewind.application.trading.settings import TraderSettings
from tradewind.domain.trading.deals import Deal, DealStatus, Protection
from tradewind.domain.values import Category, Side

D = Decimal
SPOT = Category.SPOT


async def printed(rig: Rig, price: str, side: Side = Side.SELL, *, published: bool = False) -> str:
    """A print of spot BTCUSDT a minute later (``printed`` of the trailing stop's tests); its minute."""
    return await printed_at(rig, price, side, published=published, category=SPOT)


async def opened(trader: TraderService, exchange: str = "sim", source: str = "trend-btc") -> Deal:
    """Long spot BTCUSDT at 60010, its SL (58809.8) and TP (61810.3) watched by the trader."""
    handled = await trader.handle(
        signal(exchange=exchange, category=SPOT, sid=f"b-{source}", source=source, price="60000", amount="1000")
    )
    assert handled.outcome is Outcome.OPENED and handled.deal is not None
    deal = handled.deal
    assert (deal.protection, deal.price, deal.stop_loss, deal.take_profit) == (
        Protection.WATCHED, D("60010"), D("58809.8"), D("61810.3"),
    )  # fmt: skip
    return deal


async def down_after_opening(
    first: TraderService, exchange: str = "sim", sources: tuple[str, ...] = ("trend-btc",)
) -> list[Deal]:
    """Start ``first``, open a deal of each source with it, then stop it: the trader is down from here."""
    await first.start()
    deals = [await opened(first, exchange, source) for source in sources]
    await first.stop()
    return deals


async def test_a_fall_through_the_stop_loss_that_recovered_while_down_closes_the_deal_at_the_restart(rig: Rig) -> None:
    (deal,) = await down_after_opening(rig.trader())
    minute = await printed(rig, "58700")  # through 58809.8 while the trader is down
    await printed(rig, "59500")  # recovered above it; its bid is left for the close

    second = rig.trader()
    await second.start()  # decided at the start, with no trade published since
    closed = await stored(rig.database, "sim", deal)
    assert (closed.status, closed.stop_loss_hit, closed.take_profit_hit, closed.trailing_stop_hit) == (
        DealStatus.CLOSED, True, False, False,
    )  # fmt: skip
    assert closed.close_price == D("59500")  # at market now, not at the level: a late close
    assert (
        f"late close (stop_loss): the exchange's 1-minute candle of {minute} UTC printed 58700, at or below the level "
        "58809.8, while the trader was down"
    ) in closed.note
    assert second.watched == [] and second.differences == []
    await second.stop()


async def test_a_market_that_stayed_above_the_stop_loss_leaves_the_deal_to_the_live_rule(rig: Rig) -> None:
    (deal,) = await down_after_opening(rig.trader())
    await printed(rig, "58810")  # a tick above the stop-loss at its lowest
    await printed(rig, "59500")

    second = rig.trader()
    await second.start()
    now = await stored(rig.database, "sim", deal)
    assert (now.status, now.note) == (DealStatus.OPEN, deal.note)  # untouched
    assert [p.deal.id for p in second.watched] == [deal.id]

    await printed(rig, "58800", published=True)  # live, the stop-loss is still watched
    await wait_for(lambda: second.watched == [])
    closed = await stored(rig.database, "sim", deal)
    assert (closed.stop_loss_hit, closed.close_price) == (True, D("58800"))
    assert "late close" not in closed.note
    await second.stop()


async def test_a_take_profit_printed_while_down_is_not_caught_up(rig: Rig) -> None:
    (deal,) = await down_after_opening(rig.trader())
    await printed(rig, "62000", Side.BUY)  # through the take-profit 61810.3
    await printed(rig, "61000")  # back below it: a close now would be at a worse price than the level

    second = rig.trader()
    await second.start()
    assert (await stored(rig.database, "sim", deal)).status is DealStatus.OPEN
    assert [p.deal.id for p in second.watched] == [deal.id]
    await second.stop()


async def test_one_candle_read_per_market_and_the_stop_reached_first_is_the_reason(rig: Rig) -> None:
    """Two sources' deals on spot BTCUSDT with a 1 % trailing stop too (level 59409.9 from the entry): the trailing
    stop's level printed a minute before the stop-loss's, so both close as trailing stops, from one candle read."""
    settings = TraderSettings(trailing_stop_pct=D("1"))
    deals = await down_after_opening(rig.trader(settings), sources=("a", "b"))
    minute = await printed(rig, "59400")  # through the trailing stop's 59409.9, above the stop-loss
    await printed(rig, "58700")  # then through the stop-loss too
    await printed(rig, "59500")

    gateway = CountingGateway(rig.venue, "trader-1")
    second = rig.trader(settings, gateway)
    await second.start()
    assert gateway.calls["fetch_candles"] == 1
    for deal in deals:
        closed = await stored(rig.database, "sim", deal)
        assert (closed.status, closed.trailing_stop_hit, closed.stop_loss_hit) == (DealStatus.CLOSED, True, False)
        assert (
            f"late close (trailing_stop): the exchange's 1-minute candle of {minute} UTC printed 59400" in closed.note
        )
    assert second.watched == []
    await second.stop()


async def test_a_venue_refusing_its_candles_is_one_warning_and_the_stop_loss_stays_watched(
    gateway: CcxtGateway, sim_server: Served, database: Database
) -> None:
    bus = InMemoryBus()
    await bus.start()
    (deal,) = await down_after_opening(simsrv_trader(database, gateway, bus), "simsrv")
    await candles_refused(sim_server)

    second = simsrv_trader(database, gateway, bus)
    with captured_logs() as logs:
        await second.start()  # the candles refused: started all the same
        await second.catch_up()  # asked again: still refused, not warned again
    warnings = [e for e in logs if e["event"] == "trader.not_caught_up"]
    assert [(w["log_level"], w["deal"]) for w in warnings] == [("warning", deal.id)]
    assert (await stored(database, "simsrv", deal)).status is DealStatus.OPEN
    assert [p.deal.id for p in second.watched] == [deal.id]
    await second.stop()
    await bus.close()
