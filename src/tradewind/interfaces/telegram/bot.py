"""The Telegram bot: each text message and button press goes through the command gate (keyed by the update id, so
a redelivered update runs nothing again); answers are rendered with ``interfaces/render``; TWAP fills and trades and
deals opened or closed are pushed to the notified chats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tradewind.application.commands.gate import CommandGate, Submission
from tradewind.application.messages.registry import codec_for
from tradewind.application.messages.trade_events import PATTERNS as TRADE_EVENTS
from tradewind.application.messages.twap import SLICE_DONE, SliceDone
from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.command_journal import ReceiptStatus
from tradewind.domain.command_access import UserDirectory
from tradewind.interfaces.render.commands import receipt_text
from tradewind.interfaces.render.trading import trade_event_text
from tradewind.interfaces.telegram.settings import TelegramSettings

log = structlog.get_logger(__name__)
SOURCE = "telegram"


def notification_text(done: SliceDone) -> str:
    """A TWAP slice's fill, or the job's end, as one chat line."""
    progress = f"{done.filled.normalize():f}/{done.total.normalize():f}"
    if done.status.is_final:
        return f"TWAP {done.job_id} {done.status.value}: filled {progress}"
    return f"TWAP {done.job_id} slice {done.index + 1} done: filled {progress} ({done.status.value})"


class TelegramBot:
    """Long polling with python-telegram-bot; ``start`` checks the token (getMe), ``stop`` ends polling cleanly."""

    def __init__(
        self,
        gate: CommandGate,
        users: UserDirectory,
        token: str,
        settings: TelegramSettings,
        *,
        bus: Bus | None = None,
        notify_chats: Sequence[int] = (),
    ) -> None:
        self._gate = gate
        self._users = users
        self._settings = settings
        self._bus = bus
        self._notify = tuple(notify_chats) if settings.notify else ()
        self._subscriptions: list[Subscription] = []
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(token).base_url(settings.base_url).build()
        )
        self.app.add_handler(MessageHandler(filters.TEXT, self._on_text))
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_error_handler(self._on_error)

    async def start(self) -> None:
        await self.app.initialize()  # getMe: a wrong token fails the start here
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(timeout=self._settings.poll_timeout_s, drop_pending_updates=False)
        if self._bus is not None and self._notify:
            self._subscriptions.append(await self._bus.subscribe(SLICE_DONE.kind, self._on_slice_done))
            for pattern in TRADE_EVENTS:
                self._subscriptions.append(await self._bus.subscribe(pattern, self._on_trade_event))
        log.info("telegram.polling", bot=self.app.bot.username, notify_chats=len(self._notify))

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            await subscription.cancel()
        self._subscriptions.clear()
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None or update.effective_chat is None:
            return
        await self._answer(update, update.effective_chat.id, message.text)

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or update.effective_chat is None:
            return
        await query.answer()
        await self._answer(update, update.effective_chat.id, str(query.data or ""))

    async def _answer(self, update: Update, chat_id: int, text: str) -> None:
        user = self._users.by_chat(chat_id)
        receipt = await self._gate.submit(Submission(SOURCE, f"chat {chat_id}", user, text, str(update.update_id)))
        markup = None
        if receipt.status is ReceiptStatus.PENDING and receipt.code is not None:
            button = InlineKeyboardButton(f"confirm {receipt.code}", callback_data=f"confirm {receipt.code}")
            markup = InlineKeyboardMarkup([[button]])
        reply = receipt_text(receipt)
        limit = self._settings.max_reply
        if len(reply) > limit:
            reply = reply[: limit - 20] + "\n... (cut)"
        await self.app.bot.send_message(chat_id, reply, reply_markup=markup)

    async def _on_slice_done(self, message: Message) -> None:
        await self._push(notification_text(SLICE_DONE.decode(message.payload)))

    async def _on_trade_event(self, message: Message) -> None:
        await self._push(trade_event_text(codec_for(message.topic).decode(message.payload)))

    async def _push(self, text: str) -> None:
        for chat in self._notify:
            try:
                await self.app.bot.send_message(chat, text)
            except Exception as exc:  # one chat that cannot be reached does not stop the others' notifications
                log.warning("telegram.notify_failed", chat=chat, error=str(exc))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram.handler_failed", error=repr(context.error), update=getattr(update, "update_id", None))
