"""Which processes declare the Telegram notices' queue at start: every service publishing notices when a bot would
read them (a notified chat, ``telegram.notify`` on), the embedded system only when it runs the bot; and the
trading engine's start retires the spread workflow's obsolete queue."""

from __future__ import annotations

from typing import Any

import pytest

from tradewind.adapters.bus.memory import InMemoryBus
from tradewind.adapters.clock import SimClock
from tradewind.application.messages.notices import NOTICE_PATTERNS
from tradewind.bootstrap import registry
from tradewind.bootstrap.notices import notice_queue
from tradewind.bootstrap.platform import Platform
from tradewind.settings import Settings

NOTIFIED = {"users": [{"name": "ada", "role": "admin", "telegram_chats": [5]}]}
PG = {"url": "postgresql+psycopg://tradewind@127.0.0.1/tradewind"}  # never connected: building opens nothing


def _platform(*, distributed: bool, **sections: Any) -> Platform:
    settings = Settings.model_validate({"storage": PG, **sections})
    return Platform(settings, SimClock(), InMemoryBus(), distributed=distributed)


@pytest.mark.parametrize("name", ["trader", "twap-ordering"])
def test_each_service_publishing_notices_declares_their_queue_before_its_publishers_start(name: str) -> None:
    names = [c.name for c in registry.builder(name)(_platform(distributed=True, commands=NOTIFIED)).components]
    assert names.index("notice-queue") < names.index(name)
    plain = [c.name for c in registry.builder(name)(_platform(distributed=True)).components]
    assert "notice-queue" not in plain  # no chat to notify: no queue nobody would read


@pytest.mark.parametrize(
    ("distributed", "bot_here", "sections", "declared"),
    [
        (True, False, {"commands": NOTIFIED}, True),
        (True, False, {"commands": NOTIFIED, "telegram": {"notify": False}}, False),
        (True, False, {"commands": {"users": [{**NOTIFIED["users"][0], "notify": False}]}}, False),
        (True, False, {}, False),
        (False, True, {"commands": NOTIFIED, "telegram": {"enabled": True}}, True),
        (False, False, {"commands": NOTIFIED, "telegram": {"enabled": True}}, False),  # `twap run` beside `run`
        (False, True, {"commands": NOTIFIED, "telegram": {"notify": False}}, False),
    ],
)
async def test_the_queue_is_declared_exactly_when_a_bot_would_read_it(
    distributed: bool, bot_here: bool, sections: dict[str, Any], declared: bool
) -> None:
    platform = _platform(distributed=distributed, **sections)
    components = notice_queue(platform, bot_here=bot_here)
    assert len(components) == int(declared)
    for component in components:
        assert component.start is not None
        await component.start()
        await component.start()  # every start declares it again: idempotent
    assert isinstance(platform.bus, InMemoryBus)
    await platform.bus.publish("trade.event.opened", {"n": 1})
    assert platform.bus.backlog().get("telegram.notices", 0) == int(declared)
    assert NOTICE_PATTERNS == ("twap.event", "trade.event.#", "trader.deal.#")


def test_the_trading_engine_retires_the_old_funding_queue_before_it_starts() -> None:
    names = [c.name for c in registry.builder("trading-engine")(_platform(distributed=True)).components]
    assert names.index("retired-queues") < names.index("trading-engine")
