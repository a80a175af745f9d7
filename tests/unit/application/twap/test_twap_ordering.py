"""TwapOrdering over fakes: a slice's order is sent once, even when the slice is handed over again after a crash."""

from __future__ import annotations

from decimal import Decimal

from tests.support.waiting import eventually, wait_for
from tradewind.domain.ids import JobId
from tradewind.domain.orders import OrderIntent
from tradewind.domain.twap.job import JobStatus, SliceRecord, SliceStatus
from tradewind.domain.twap.slicer import slice_client_order_id
from tradewind.domain.twap.spec import LimitPolicy
from tradewind.domain.values import Category, OrderType, Side

from .twap_rig import Twap, spec

J1 = JobId("j1")


async def sent_but_not_finished(twap: Twap) -> SliceRecord:
    """Slice 0 dispatched and recorded SENT, as a crash right after the record leaves it."""
    await twap.service.create(spec(), job_id="j1")
    await twap.scheduler.tick()
    job = await twap.repo.get_job(J1)
    assert job is not None
    record = SliceRecord(
        J1, 0, 0, slice_client_order_id(J1, 0, 0), SliceStatus.SENT, Decimal("0.0025"), OrderType.MARKET.value,
        None, "GTC", twap.clock.now_ns(), market_price=Decimal("100000"),
    )  # fmt: skip
    await twap.repo.record_slice(record, job)
    return record


async def test_a_slice_whose_order_reached_the_exchange_is_reconciled_not_sent_again(twap: Twap) -> None:
    record = await sent_but_not_finished(twap)
    assert record.client_order_id is not None
    intent = OrderIntent(
        record.client_order_id, "fake", Category.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET,
        record.target_qty,
    )  # fmt: skip
    await twap.exchange.place_order(intent)  # the order left before the crash
    twap.exchange.placed.clear()
    twap.exchange.lookups.clear()

    await twap.ordering.execute(J1, 0)

    assert twap.exchange.placed == []
    job = await twap.repo.get_job(J1)
    assert job is not None and job.next_index == 1 and job.filled_qty == Decimal("0.0025")
    assert [(r.attempt, r.status, r.filled_qty) for r in await twap.repo.slices(J1, 0)] == [
        (0, SliceStatus.DONE, Decimal("0.0025"))
    ]
    reconciled = [dict(r.fields) for r in twap.logs.records if r.event == "twap.reconciled"]
    assert reconciled == [{"index": 0, "found": True, "filled": "0.0025"}]
    # Looked up from the attempt's own time: a venue listing 7 days of orders (Bybit) is read from there, however late.
    assert twap.exchange.lookups[0] == (record.client_order_id, record.ts_ns)


async def test_a_slice_whose_order_never_left_is_sent_once_under_the_same_client_order_id(twap: Twap) -> None:
    await sent_but_not_finished(twap)

    await twap.ordering.execute(J1, 0)
    await twap.ordering.execute(J1, 0)  # the same slice handed over again: already done, a no-op

    assert [p.client_order_id for p in twap.exchange.placed] == ["tw-j1-0-0"]
    assert len(await twap.repo.fills(J1)) == 1


async def test_a_slice_message_runs_the_slice_and_publishes_the_job_progress(twap: Twap) -> None:
    await twap.ordering.start()
    await twap.service.create(spec(), job_id="j1")

    await twap.scheduler.tick()

    await wait_for(lambda: len(twap.messages("twap.event")) == 1)
    event = twap.messages("twap.event")[0].payload
    assert (event["job_id"], event["index"], event["status"]) == ("j1", 0, "running")
    assert (Decimal(event["filled"]), Decimal(event["total"])) == (Decimal("0.0025"), Decimal("0.01"))


async def test_a_malformed_slice_message_is_dead_lettered_and_sends_nothing(twap: Twap) -> None:
    await twap.ordering.start()

    await twap.bus.publish("twap.slice", {"job_id": "j1"})

    await eventually(lambda: twap.bus.dead_letters("twap.slice"), lambda dead: len(dead) == 1)
    assert twap.exchange.placed == []


async def test_a_limit_below_the_ask_stops_a_buy_before_any_order(twap: Twap) -> None:
    await twap.service.create(spec(limit_price=Decimal("100000"), limit_policy=LimitPolicy.STOP), job_id="j1")
    await twap.scheduler.tick()

    await twap.ordering.execute(J1, 0)

    job = await twap.repo.get_job(J1)
    assert job is not None and job.status is JobStatus.STOPPED and "beyond the limit 100000" in job.reason
    assert twap.exchange.placed == []


async def test_a_slice_of_a_paused_job_is_not_sent(twap: Twap) -> None:
    await twap.service.create(spec(), job_id="j1")
    await twap.scheduler.tick()
    await twap.service.pause("j1")

    await twap.ordering.execute(J1, 0)

    assert twap.exchange.placed == []
