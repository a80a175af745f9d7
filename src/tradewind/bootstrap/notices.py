"""The Telegram notices' durable queue, declared at start by the processes that publish notices (see
``application/messages/notices.py``), so none is lost before the bot first runs."""

from __future__ import annotations

import functools

from tradewind.application.lifecycle import Component
from tradewind.application.messages.notices import declare_notice_queue
from tradewind.bootstrap.platform import Platform
from tradewind.settings import Settings


def notices_wanted(settings: Settings) -> bool:
    """Whether a bot would consume the notices: ``telegram.notify`` on and some user with a chat and ``notify``."""
    return settings.telegram.notify and bool(settings.commands.notified_chats())


def notice_queue(platform: Platform, *, bot_here: bool = False) -> list[Component]:
    """A component declaring the notices' queue at start, or none when no bot would read it.

    Distributed, the publishers cannot tell whether the ``telegram`` service is deployed: the chats configured with
    ``notify`` say a bot is wanted (``telegram.notify: false`` turns it off). Over the in-memory bus, only when
    this process runs the bot (``bot_here``): an in-memory queue nobody consumes would only grow.
    """
    settings = platform.settings
    if not notices_wanted(settings) or not (platform.distributed or bot_here):
        return []
    declare = functools.partial(declare_notice_queue, platform.bus, settings.telegram.notify_queue)
    return [Component("notice-queue", declare)]
