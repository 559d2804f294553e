"""Telegram: python-telegram-bot's Bot API client, HTML markup, inline buttons, UTF-16 limits.

Only transport lives here: turning an `Update` into an `Incoming`, sending text, and classifying
Bot API errors for the delivery policy. Updates are fetched by the shared poller (or posted to
the shared webhook server), handed to the core, and only then confirmed to Telegram with the next
`offset`, so a crash can never lose a question Telegram already considers delivered.
"""
from __future__ import annotations

import logging
import re
import warnings

import httpx
from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message,
                      MessageEntity, ReplyParameters, Update)
from telegram.constants import ChatAction, ChatType, MessageLimit, ParseMode
from telegram.error import (BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError,
                            TimedOut)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.warnings import PTBDeprecationWarning
from telegram.request import HTTPXRequest

from .. import messages as msg
from .. import render
from .core import COMMAND, EXAMPLE, FEEDBACK, HELP, NON_TEXT, TEXT, Fate, Incoming, SendError
from .settings import ChannelSettings, Platform

log = logging.getLogger(__name__)

PLATFORM = Platform(
    name="telegram", prefix="TELEGRAM", official_api="https://api.telegram.org",
    token_pattern=re.compile(r"[0-9]{3,15}:[A-Za-z0-9_-]{20,64}"),
    token_hint="Create a bot with @BotFather (digits, a colon, then letters, digits, '-' or '_')",
    secret_pattern=re.compile(r"[A-Za-z0-9_-]{1,256}"),
    secret_rule="only A-Z, a-z, 0-9, '_' and '-', 1 to 256 characters (Telegram's rule for secret tokens)",
    secret_header="X-Telegram-Bot-Api-Secret-Token")
MAX_MESSAGE = MessageLimit.MAX_TEXT_LENGTH  # 4,096, counted by Telegram in UTF-16 code units
ALLOWED_UPDATES = ["message", "callback_query"]
HTML = render.TelegramHTML()


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_html(items: list[render.Block]) -> list[str]:
    """Pack blocks under Telegram's limit. `render.pack` counts Python characters; Telegram counts
    UTF-16 units, so text full of emoji could overflow: shrink the budget until it fits."""
    limit = MAX_MESSAGE
    while True:
        parts = render.pack(items, HTML, limit)
        if limit <= 1024 or all(_utf16_len(p) <= MAX_MESSAGE for p in parts):
            return parts
        limit -= 512


def feedback_keyboard(xid: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(msg.FEEDBACK_UP, callback_data=f"fb:up:{xid}"),
                                  InlineKeyboardButton(msg.FEEDBACK_DOWN, callback_data=f"fb:down:{xid}")]])


def examples_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(q, callback_data=f"ex:{i}")]
                                 for i, q in enumerate(msg.EXAMPLES)])


def classify(e: Exception) -> SendError:
    """Whether a failed call may have reached the user: the delivery policy depends on it."""
    cause = e.__cause__
    if isinstance(e, RetryAfter):
        return SendError(Fate.NOT_SENT, str(e), retry_after=_seconds(e))
    if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return SendError(Fate.NOT_SENT, f"{type(cause).__name__}")
    if isinstance(e, TimedOut) and "Pool timeout" in str(e):
        return SendError(Fate.NOT_SENT, str(e))
    if isinstance(e, TimedOut) or isinstance(cause, (httpx.ReadError, httpx.RemoteProtocolError,
                                                     httpx.WriteError, httpx.TimeoutException)):
        return SendError(Fate.MAYBE_SENT, f"{type(e).__name__}: {e}", timeout=True)
    if isinstance(e, (BadRequest, Forbidden, InvalidToken)):
        return SendError(Fate.REJECTED, f"{type(e).__name__}: {e}")
    return SendError(Fate.MAYBE_SENT, f"{type(e).__name__}: {e}")  # 5xx, garbled answers


def _seconds(e: RetryAfter) -> float:
    """retry_after is an int in PTB 22 and a timedelta later; reading it warns about the change."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = e.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


def transient(e: Exception) -> bool:
    """Worth retrying at start-up: the server or the network, not the token or the request."""
    return isinstance(e, (NetworkError, RetryAfter)) and not isinstance(e, BadRequest) or (
        type(e) is TelegramError and "Invalid server response" in str(e))


class _Handled(logging.Filter):
    """python-telegram-bot logs an ERROR with a traceback for a garbled body (a gateway's HTML page,
    a cut-off answer) and for a 429, and then raises the error to us anyway: the poller retries
    and the core applies the delivery policy, each logging one warning. Its copies are DEBUG."""

    MESSAGES = ("Can not load invalid JSON data", "Rate limit hit after maximum of")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR or not str(record.msg).startswith(self.MESSAGES):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)  # handlers do not check levels again


def _quiet_handled_errors() -> None:
    for name in ("telegram.request.BaseRequest", "telegram.ext.AIORateLimiter"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Handled) for f in logger.filters):
            logger.addFilter(_Handled())


class TelegramTransport:
    name = PLATFORM.name
    buttons = True

    def __init__(self, bot: ExtBot):
        self.bot = bot

    def pack(self, items: list[render.Block]) -> list[str]:
        return split_html(items)

    async def send(self, chat: dict, text: str, *, first: bool = True, feedback: str | None = None,
                   examples: bool = False) -> None:
        markup = feedback_keyboard(feedback) if feedback else examples_keyboard() if examples else None
        reply = chat.get("reply_to") if first else None
        try:
            await self.bot.send_message(
                chat["id"], text, parse_mode=ParseMode.HTML, reply_markup=markup,
                reply_parameters=ReplyParameters(reply, allow_sending_without_reply=True) if reply else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True))
        except TelegramError as e:
            raise classify(e) from None

    async def typing(self, chat: dict) -> None:
        await self.bot.send_chat_action(chat["id"], ChatAction.TYPING)

    async def ack(self, callback, text: str | None = None) -> None:
        await self.bot.answer_callback_query(callback.id, text=text)

    async def mark_feedback(self, callback, value: str) -> None:
        mark = "👍" if value == "up" else "👎"
        await self.bot.edit_message_reply_markup(
            callback.message.chat.id, callback.message.message_id, reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(f"{mark} {msg.FEEDBACK_DONE}", callback_data="fb:done")]]))


class TelegramAdapter:
    platform = PLATFORM

    def __init__(self, settings: ChannelSettings, *, poll_timeout: int = 30, connect_timeout: float = 5.0,
                 read_timeout: float = 10.0, concurrency: int = 64):
        self.settings, self.poll_timeout = settings, poll_timeout
        _quiet_handled_errors()
        request = HTTPXRequest(connection_pool_size=concurrency, connect_timeout=connect_timeout,
                               read_timeout=read_timeout, write_timeout=read_timeout, pool_timeout=read_timeout)
        polling = HTTPXRequest(connect_timeout=connect_timeout, read_timeout=read_timeout,
                               pool_timeout=read_timeout)
        self.bot = ExtBot(settings.token, base_url=f"{settings.api_url}/bot",
                          base_file_url=f"{settings.api_url}/file/bot", request=request,
                          get_updates_request=polling, rate_limiter=AIORateLimiter(max_retries=0))
        self.transport = TelegramTransport(self.bot)
        self.offset: int | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.settings.token, self.settings.secret or "")

    async def connect(self) -> str:
        """getMe: who we are (for group mentions); raises InvalidToken on a rejected token."""
        await self.bot.initialize()
        return f"@{self.bot.username}"

    def rejected(self, e: Exception) -> bool:
        return isinstance(e, InvalidToken)

    transient = staticmethod(transient)

    async def prepare(self, webhook: bool) -> None:
        if webhook:
            await self.bot.set_webhook(self.settings.webhook_url, secret_token=self.settings.secret,
                                       allowed_updates=ALLOWED_UPDATES)
        else:
            await self.bot.delete_webhook()

    async def decorate(self) -> None:
        await self.bot.set_my_commands([BotCommand(k, v) for k, v in msg.COMMAND_MENU.items()])

    async def poll_once(self, receive) -> None:
        """One long poll; each update is handed to the core before the next offset confirms it."""
        updates = await self.bot.get_updates(offset=self.offset, timeout=self.poll_timeout,
                                             allowed_updates=ALLOWED_UPDATES,
                                             read_timeout=self.poll_timeout + 10)
        for u in updates:
            receive(incoming(u, self.bot))
            self.offset = u.update_id + 1

    def from_webhook(self, body, receive) -> None:
        try:  # a list, a string, a dict that is not an update: refused with a 400, not a 500
            update = Update.de_json(body, self.bot) if isinstance(body, dict) else None
        except (TypeError, KeyError, AttributeError, ValueError):
            update = None
        if update is None or not isinstance(update.update_id, int):
            raise ValueError("not a Telegram update")
        receive(incoming(update, self.bot))

    async def close(self) -> None:
        await self.bot.shutdown()


def incoming(update: Update, bot) -> Incoming | None:
    """What an update asks of the bot; None when it is not meant for it (group chatter, edits)."""
    key = str(update.update_id)
    if update.callback_query:
        q = update.callback_query
        chat = q.message.chat.id if q.message else q.from_user.id
        kind, _, rest = (q.data or "").partition(":")
        kinds = {"fb": FEEDBACK, "ex": EXAMPLE}
        return Incoming(key, {"id": chat}, q.from_user.id, kinds.get(kind, "button"), rest, callback=q)
    m = update.message  # edits of old messages are not new questions
    if m is None:
        return None
    group = m.chat.type != ChatType.PRIVATE
    user = m.from_user.id if m.from_user else m.chat.id
    chat = {"id": m.chat.id, "reply_to": m.message_id if group else None}  # quote the question in groups
    if m.text and m.text.startswith("/"):
        name, _, at = m.text.split()[0][1:].partition("@")
        if group and at and bot.username and at.lower() != bot.username.lower():
            return None  # a command for another bot
        return Incoming(key, chat, user, COMMAND, name.lower(), group)
    if group and not addressed(m, bot):
        return None  # not answered, not logged
    if m.text is None:
        if m.new_chat_members or m.left_chat_member or m.pinned_message:
            return None
        return Incoming(key, chat, user, NON_TEXT, group=group)
    text = m.text
    if group and bot.username:
        text = re.sub(rf"@{re.escape(bot.username)}\b", " ", text, flags=re.IGNORECASE).strip()
    return Incoming(key, chat, user, TEXT if text.strip() else HELP, text, group)


def addressed(m: Message, bot) -> bool:
    """In groups the bot speaks only when spoken to: a mention, or a reply to it."""
    reply = m.reply_to_message
    if reply and reply.from_user and reply.from_user.id == bot.id:
        return True
    me = f"@{bot.username}".lower() if bot.username else None
    kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    found = {**m.parse_entities(kinds), **m.parse_caption_entities(kinds)}
    return any((e.type == MessageEntity.MENTION and me and text.lower() == me)
               or (e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == bot.id)
               for e, text in found.items())
