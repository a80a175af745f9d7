"""The Telegram bot: each text message and button press goes through the command gate (keyed by the update id, so
a redelivered update runs nothing again); answers are rendered with ``interfaces/render``; TWAP fills and trades and
deals opened or closed are pushed to the notified chats from a durable work queue (``telegram.notify_queue``), each
notice acknowledged once every notified chat was sent it or refused it for good, and each chat done with a notice
recorded through the gate's journal, so a redelivery (after a crash too) does not send it to that chat again."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import structlog
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tradewind.application.commands.gate import CommandGate, Submission
from tradewind.application.messages.notices import NOTICE_PATTERNS, NOTICE_SOURCE, declare_notice_queue
from tradewind.application.messages.registry import codec_for
from tradewind.application.messages.twap import SLICE_DONE, SliceDone
from tradewind.application.ports.bus import Bus, Message, Subscription
from tradewind.application.ports.command_journal import ReceiptStatus
from tradewind.domain.command_access import UserDirectory
from tradewind.interfaces.render.commands import receipt_text
from tradewind.interfaces.render.trading import trade_event_text
from tradewind.interfaces.telegram.settings import TelegramSettings

log = structlog.get_logger(__name__)
SOURCE = "telegram"
_RETRY_AFTER_CAP_S = 60.0  # the longest flood-control pause honoured within one delivery


class NoticeNotSent(Exception):
    """Some notified chat could not be sent a notice for a passing reason on any attempt: the bus redelivers it."""


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
            # One durable queue bound to every notice (the publishers declare it too), consumed one at a time: what
            # is published while the bot is down waits there, and notices reach the chats in publication order.
            queue = self._settings.notify_queue
            await declare_notice_queue(self._bus, queue)
            self._subscriptions.append(await self._bus.subscribe(NOTICE_PATTERNS[0], self._on_notice, queue=queue))
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

    async def _on_notice(self, message: Message) -> None:
        """Send the notice to each notified chat not done with it yet; return (ack) once every one is done.

        A payload no codec decodes raises MalformedPayload: dead-lettered. A chat that refuses for good is logged
        and done; a passing failure is retried with backoff, then NoticeNotSent has the bus redeliver the notice.
        Each chat done with it is recorded in the command journal (by the notice's content), so no later delivery,
        in this process or after a restart, sends it to that chat again.
        """
        if message.topic == SLICE_DONE.kind:
            text = notification_text(SLICE_DONE.decode(message.payload))
        else:
            text = trade_event_text(codec_for(message.topic).decode(message.payload))
        key = notice_key(message)
        failed = [chat for chat in self._notify if not await self._notify_chat(chat, f"{key}:{chat}", text)]
        if failed:
            raise NoticeNotSent(f"chats {failed}: not reachable after {self._settings.send_attempts} attempts")

    async def _notify_chat(self, chat: int, key: str, text: str) -> bool:
        """True once ``chat`` is done with the notice: sent now or by an earlier delivery, or refused for good."""
        try:
            if not await self._gate.not_done_yet(NOTICE_SOURCE, key):
                return True
        except Exception as exc:  # the database is away: send anyway (a repeat at worst, never a lost notice)
            log.warning("telegram.notice_journal_failed", chat=chat, error=repr(exc))
        outcome = await self._send(chat, text)
        if outcome is None:
            return False
        try:
            await self._gate.done(NOTICE_SOURCE, key, outcome)
        except Exception as exc:
            log.warning("telegram.notice_journal_failed", chat=chat, error=repr(exc))
        return True

    async def _send(self, chat: int, text: str) -> str | None:
        """Send with backoff on passing failures: ``sent``, ``refused: ...`` for good, or None (not reachable)."""
        pause = self._settings.send_backoff_s
        for attempt in range(1, self._settings.send_attempts + 1):
            try:
                await self.app.bot.send_message(chat, text)
            except RetryAfter as exc:  # flood control: Telegram says how long to wait
                wait = min(_seconds(exc.retry_after), _RETRY_AFTER_CAP_S)
            except BadRequest as exc:  # a NetworkError subclass, yet final: chat not found, text refused
                return _refused(chat, exc)
            except NetworkError as exc:  # timed out, connection refused, Telegram's 5xx: may pass
                log.warning("telegram.notify_retry", chat=chat, attempt=attempt, error=str(exc))
                wait = pause
                pause *= 2
            except Exception as exc:  # Forbidden (bot blocked), invalid token, migrated chat: sending again won't do
                return _refused(chat, exc)
            else:
                return "sent"
            if attempt < self._settings.send_attempts:
                await asyncio.sleep(wait)
        return None

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram.handler_failed", error=repr(context.error), update=getattr(update, "update_id", None))


def notice_key(message: Message) -> str:
    """A notice's identity: a digest of its topic and payload, the same on every delivery and after a restart (the
    events carry no id common to all their kinds; a trade event's carries its id and time, a TWAP one its slice)."""
    content = json.dumps([message.topic, message.payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:40]


def _refused(chat: int, exc: Exception) -> str:
    """A chat that refuses a notice for good: logged, and done with it (the other chats still get theirs)."""
    log.warning("telegram.notify_failed", chat=chat, error=str(exc))
    return f"refused: {exc}"


def _seconds(retry_after: object) -> float:
    """``RetryAfter.retry_after``: an int of seconds, or a timedelta in newer python-telegram-bot releases."""
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]
