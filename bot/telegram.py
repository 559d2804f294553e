"""The Telegram channel: receive updates, hand questions to `Service`, render with `TelegramHTML`, send.

`rulebot telegram` long-polls; `rulebot telegram --webhook` serves Telegram's webhook and rejects
requests without the secret token. Everything about answering and logging lives in `Service`;
this module only decides who is being addressed and how the reply travels.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import signal
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions,
                      Message, MessageEntity, ReplyParameters, Update)
from telegram.constants import ChatAction, ChatType, MessageLimit, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (AIORateLimiter, Application, CallbackQueryHandler, CommandHandler,
                          ContextTypes, MessageHandler, filters)

from . import render
from .service import (ERROR_MESSAGE, EXAMPLES, FLOOD_MESSAGE, GREETING, HELP, NON_TEXT_MESSAGE,
                      Exchange, Service)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_MESSAGE = MessageLimit.MAX_TEXT_LENGTH  # 4,096, counted by Telegram in UTF-16 code units
OFFICIAL_API = "https://api.telegram.org"
ALLOWED_UPDATES = ["message", "callback_query"]
HTML = render.TelegramHTML()
SEP = HTML.sep

TRY_EXAMPLES = "Bạn có thể bấm thử một câu hỏi dưới đây, hoặc tự gõ câu hỏi của mình."
FEEDBACK_THANKS = "Cảm ơn bạn đã góp ý!"
FEEDBACK_AGAIN = "Bạn đã góp ý cho câu trả lời này rồi, cảm ơn bạn!"
FEEDBACK_UNKNOWN = "Câu trả lời này đã cũ nên mình chưa ghi nhận được góp ý. Bạn thử hỏi lại nhé."
UNKNOWN_COMMAND = "Mình không có lệnh này.\n\n" + HELP
COMMANDS = [BotCommand("start", "Giới thiệu và câu hỏi ví dụ"),
            BotCommand("help", "Cách dùng"),
            BotCommand("nguon", "Các văn bản đang tra cứu")]

_TOKEN_RE = re.compile(r"[0-9]{3,15}:[A-Za-z0-9_-]{20,64}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(Exception):
    """A setting is missing or malformed; shown to the operator without a traceback."""


# --- settings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """Everything the channel needs from the environment; the token never appears in its repr."""

    token: str = field(repr=False)
    api_url: str = OFFICIAL_API  # server root; "/bot<token>/<method>" is appended by PTB
    webhook_url: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    secret: str | None = field(default=None, repr=False)
    poll_timeout: int = 30  # long-polling: how long Telegram may hold a getUpdates open
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_timeout: float = 10.0  # a burst of replies may wait this long for a free connection

    @property
    def bot_base_url(self) -> str:
        return f"{self.api_url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.api_url}/file/bot"

    @property
    def webhook_path(self) -> str:
        """The local server listens on the same path as the public URL, so a proxy can pass it through."""
        return urlsplit(self.webhook_url or "").path.strip("/")

    @classmethod
    def from_env(cls, env: dict | None = None, webhook: bool = False) -> "Settings":
        env = os.environ if env is None else env
        token = (env.get("TELEGRAM_BOT_TOKEN") or "").strip()
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather and put "
                                "its token in the environment or in .env (see README).")
        if not _TOKEN_RE.fullmatch(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits, a "
                                "colon, then letters, digits, '-' or '_', as @BotFather gives it). "
                                "Check for quotes, spaces or a missing part.")
        api = _api_root(env.get("TELEGRAM_API_BASE_URL") or OFFICIAL_API)
        s = cls(token=token, api_url=api)
        if not webhook:
            return s
        url = (env.get("TELEGRAM_WEBHOOK_URL") or "").strip()
        if not url:
            raise SettingsError("--webhook needs TELEGRAM_WEBHOOK_URL, the public HTTPS address Telegram "
                                "posts updates to, e.g. https://bot.example.org/telegram")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise SettingsError(f"TELEGRAM_WEBHOOK_URL is not an http(s) URL: {url!r}")
        host, port = _listen(env.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1:8443")
        secret = (env.get("TELEGRAM_WEBHOOK_SECRET") or "").strip()
        if secret and not _SECRET_RE.fullmatch(secret):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, '_' and '-', "
                                "1 to 256 characters (Telegram's rule for secret tokens).")
        if not secret:
            secret = secrets.token_urlsafe(32)  # set anew on every start; only Telegram needs to know it
        return replace(s, webhook_url=url, listen_host=host, listen_port=port, secret=secret)


def _api_root(value: str) -> str:
    """Accept the server root or the PTB-style ".../bot" base, with or without a trailing slash."""
    url = value.strip().rstrip("/")
    if url.endswith("/bot"):
        url = url[: -len("/bot")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"TELEGRAM_API_BASE_URL is not an http(s) URL: {value!r} "
                            f"(default {OFFICIAL_API})")
    return url


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not host or not 0 < number < 65536:
        raise SettingsError(f"TELEGRAM_WEBHOOK_LISTEN must be host:port, e.g. 127.0.0.1:8443 (got {value!r})")
    return host.strip("[]"), number


def load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env without overriding the real environment (no extra dependency)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ.setdefault(key, value)


# --- logging ----------------------------------------------------------------------------------

class RedactToken(logging.Filter):
    """httpx and PTB put the request URL, which embeds the bot token, into their log lines."""

    def __init__(self, token: str | None = None):
        super().__init__()
        self.token = token

    def _clean(self, text: str) -> str:
        if self.token:
            text = text.replace(self.token, "<token>")
        return _TOKEN_RE.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def setup_logging(token: str | None, level: str | None = None, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("RULEBOT_LOG_LEVEL") or "INFO").upper())
    if root.level > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    return handler


# --- Bot API resilience -----------------------------------------------------------------------

class PatientRateLimiter(AIORateLimiter):
    """PTB's limiter keeps replies under Telegram's flood limits and waits out 429s; on top of that
    a busy or flaky Bot API (5xx, timeouts, garbled JSON) costs a short delay, not a lost reply."""

    def __init__(self, *args, attempts: int = 4, backoff: float = 0.5, **kwargs):
        kwargs.setdefault("max_retries", 3)
        super().__init__(*args, **kwargs)
        self.attempts, self.backoff = attempts, backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        delay = self.backoff
        attempts = 1 if endpoint == "sendChatAction" else self.attempts  # best effort, never worth a wait
        for attempt in range(1, attempts + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except TelegramError as e:
                if attempt == attempts or not transient(e):
                    raise
                log.warning("%s failed (%s: %s); retry %d in %.1f s", endpoint, type(e).__name__, e,
                            attempt, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def transient(e: TelegramError) -> bool:
    """Errors worth retrying: the server or the network, not the request itself. (429s are the
    rate limiter's business: it waits exactly as long as Telegram asks.)"""
    if isinstance(e, BadRequest):
        return False
    if isinstance(e, NetworkError):
        return True
    return type(e) is TelegramError and "Invalid server response" in str(e)


# --- the channel ------------------------------------------------------------------------------

def feedback_keyboard(xid: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("👍 Đúng", callback_data=f"fb:up:{xid}"),
                                  InlineKeyboardButton("👎 Chưa đúng", callback_data=f"fb:down:{xid}")]])


def examples_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(q, callback_data=f"ex:{i}")]
                                 for i, q in enumerate(EXAMPLES)])


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


class TelegramChannel:
    def __init__(self, service: Service):
        self.service = service

    def install(self, app: Application) -> None:
        new = filters.UpdateType.MESSAGE  # edits of old messages are not new questions
        app.add_handler(CommandHandler("start", self.on_start, filters=new))
        app.add_handler(CommandHandler("help", self.on_help, filters=new))
        app.add_handler(CommandHandler("nguon", self.on_sources, filters=new))
        app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, self.on_unknown_command))
        app.add_handler(MessageHandler(new & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_non_text))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_error_handler(self.on_error)

    # --- commands and messages ---

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"{GREETING}\n\n{TRY_EXAMPLES}", reply_markup=examples_keyboard())

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(HELP)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(UNKNOWN_COMMAND)

    async def on_sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        for part in split_html(render.source_list(self.service.engine.sources)):
            await update.effective_message.reply_text(part, parse_mode=ParseMode.HTML,
                                                      link_preview_options=LinkPreviewOptions(is_disabled=True))

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if addressed(msg, context.bot):
            await msg.reply_text(NON_TEXT_MESSAGE, reply_parameters=_reply_to(msg))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if not addressed(msg, context.bot):
            return  # group chatter not meant for the bot: not answered, not logged
        text = msg.text
        if msg.chat.type != ChatType.PRIVATE and context.bot.username:
            text = re.sub(rf"@{re.escape(context.bot.username)}\b", " ", text, flags=re.IGNORECASE).strip()
        await self.answer(context.bot, msg.chat_id, _who(update), text, reply_to=_reply_to(msg))

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        data = query.data or ""
        kind, _, rest = data.partition(":")
        if kind == "fb" and rest == "done":
            await query.answer(FEEDBACK_AGAIN)
        elif kind == "fb":
            value, _, xid = rest.partition(":")
            if not self.service.feedback(CHANNEL, _who(update), xid, value):
                await query.answer(FEEDBACK_UNKNOWN)
                return
            await query.answer(FEEDBACK_THANKS)
            mark = "👍" if value == "up" else "👎"
            try:
                await query.edit_message_reply_markup(InlineKeyboardMarkup(
                    [[InlineKeyboardButton(f"{mark} Đã ghi nhận góp ý", callback_data="fb:done")]]))
            except BadRequest as e:  # e.g. the message is too old to edit; the press is stored anyway
                log.info("could not mark feedback on the message: %s", e)
        elif kind == "ex" and rest.isdigit() and int(rest) < len(EXAMPLES):
            question = EXAMPLES[int(rest)]
            await query.answer()
            chat_id = update.effective_chat.id
            echo = await context.bot.send_message(chat_id, f"❓ {question}")
            await self.answer(context.bot, chat_id, _who(update), question,
                              reply_to=ReplyParameters(echo.message_id, allow_sending_without_reply=True))
        else:
            await query.answer()

    # --- answering ---

    async def answer(self, bot, chat_id: int, user_id: int, text: str,
                     reply_to: ReplyParameters | None = None) -> Exchange:
        typing = asyncio.create_task(_keep_typing(bot, chat_id))
        try:
            ex = await self.service.ask(CHANNEL, user_id, text)
        finally:
            typing.cancel()
        if ex.limited:
            if ex.notify:
                await bot.send_message(chat_id, FLOOD_MESSAGE, reply_parameters=reply_to)
            return ex
        await self.send_answer(bot, chat_id, ex, reply_to=reply_to)
        return ex

    async def send_answer(self, bot, chat_id: int, ex: Exchange,
                          reply_to: ReplyParameters | None = None) -> list[str]:
        """Send a rendered answer, split on clause boundaries; feedback buttons go under the last part."""
        parts = split_html(render.blocks(ex.answer))
        keyboard = feedback_keyboard(ex.id) if ex.answer.status != "invalid" else None
        try:
            for i, part in enumerate(parts):
                await bot.send_message(
                    chat_id, part, parse_mode=ParseMode.HTML,
                    reply_markup=keyboard if i == len(parts) - 1 else None,
                    reply_parameters=reply_to if i == 0 else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True))
        except TelegramError as e:
            self.service.delivered(ex, SEP.join(parts), ok=False, error=f"send failed: {type(e).__name__}: {e}")
            raise
        self.service.delivered(ex, SEP.join(parts))
        return parts

    # --- errors ---

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        if update is None and isinstance(err, TelegramError):
            log.warning("Bot API problem while fetching updates (%s: %s); retrying", type(err).__name__, err)
            return
        log.error("error while handling an update", exc_info=err)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            return
        try:
            await context.bot.send_message(chat.id, ERROR_MESSAGE)
        except TelegramError as e:
            log.warning("could not tell the user about the error either (%s)", type(e).__name__)


def addressed(msg: Message, bot) -> bool:
    """In groups the bot speaks only when spoken to: a mention, a reply to it, or a command."""
    if msg.chat.type == ChatType.PRIVATE:
        return True
    reply = msg.reply_to_message
    if reply and reply.from_user and reply.from_user.id == bot.id:
        return True
    me = f"@{bot.username}".lower() if bot.username else None
    kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    found = {**msg.parse_entities(kinds), **msg.parse_caption_entities(kinds)}
    return any((e.type == MessageEntity.MENTION and me and text.lower() == me)
               or (e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == bot.id)
               for e, text in found.items())


def _reply_to(msg: Message) -> ReplyParameters | None:
    """Quote the question in groups, where several people talk at once; private chats need no quote."""
    if msg.chat.type == ChatType.PRIVATE:
        return None
    return ReplyParameters(msg.message_id, allow_sending_without_reply=True)


def _who(update: Update) -> int:
    return update.effective_user.id if update.effective_user else update.effective_chat.id


async def _keep_typing(bot, chat_id: int) -> None:
    """Telegram shows "typing…" for about five seconds per action; renew it until cancelled."""
    while True:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as e:
            log.debug("typing action failed: %s", e)
        await asyncio.sleep(4.5)


# --- application ------------------------------------------------------------------------------

def build_application(settings: Settings, service: Service, *, rate_limiter=None,
                      concurrency: int = 64) -> Application:
    """One Application per process; the engine inside `service` is already loaded.

    `concurrency` updates are handled at once. More would not answer faster (the engine's worker
    threads and Telegram's 30 messages/s are the limits) but would slow httpx, whose connection pool
    does work quadratic in the requests queued on it."""
    app = (Application.builder()
           .token(settings.token)
           .base_url(settings.bot_base_url)
           .base_file_url(settings.file_base_url)
           .rate_limiter(rate_limiter or PatientRateLimiter())
           .concurrent_updates(concurrency)
           .connection_pool_size(concurrency)
           .connect_timeout(settings.connect_timeout)
           .read_timeout(settings.read_timeout)
           .write_timeout(settings.write_timeout)
           .pool_timeout(settings.pool_timeout)
           .get_updates_connect_timeout(settings.connect_timeout)
           .get_updates_read_timeout(settings.read_timeout)
           .get_updates_pool_timeout(settings.pool_timeout)
           .build())
    channel = TelegramChannel(service)
    channel.install(app)
    app.bot_data["channel"] = channel
    return app


async def start(app: Application, settings: Settings, webhook: bool = False) -> None:
    await app.initialize()  # getMe: fails fast on a rejected token
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as e:
        log.warning("could not set the command menu (%s); carrying on", e)
    if webhook:
        await app.updater.start_webhook(
            listen=settings.listen_host, port=settings.listen_port, url_path=settings.webhook_path,
            webhook_url=settings.webhook_url, secret_token=settings.secret,
            allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3)
    else:
        await app.updater.start_polling(
            timeout=settings.poll_timeout, allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3,
            error_callback=lambda e: app.create_task(app.process_error(update=None, error=e)))
    await app.start()
    log.info("@%s is answering (%s)", app.bot.username,
             f"webhook {settings.webhook_url}" if webhook else "long polling")


async def stop(app: Application) -> None:
    if app.updater and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def check_token(settings: Settings) -> str:
    """Ask Telegram who we are before the slow model load, so a bad token fails in a second."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
    bot = Bot(settings.token, base_url=settings.bot_base_url, request=request)
    for attempt in range(3):
        try:
            async with bot:
                return bot.username
        except InvalidToken:
            raise SettingsError("Telegram rejected TELEGRAM_BOT_TOKEN (unauthorized). Copy the token "
                                "again from @BotFather; it may have been revoked.") from None
        except TelegramError as e:
            if attempt == 2 or not (transient(e) or isinstance(e, RetryAfter)):
                raise SettingsError(f"Cannot reach the Bot API at {settings.api_url} "
                                    f"({type(e).__name__}: {e}). Check the network or "
                                    f"TELEGRAM_API_BASE_URL.") from None
            await asyncio.sleep(1 + attempt)
    raise AssertionError("unreachable")


# --- command line -----------------------------------------------------------------------------

def configure(parser) -> None:
    parser.add_argument("--webhook", action="store_true",
                        help="serve Telegram's webhook (needs TELEGRAM_WEBHOOK_URL) instead of long polling")
    parser.add_argument("--index", help="index directory (default: $RULEBOT_INDEX or var/index)")
    parser.add_argument("--model", help="sentence-transformers model (default: $RULEBOT_MODEL or the converted e5-small)")
    parser.add_argument("--log", help="exchange log database (default: $RULEBOT_LOG or var/rulebot-log.db)")


def run(args) -> int:
    from .cli import UserError

    load_dotenv()
    try:
        settings = Settings.from_env(webhook=args.webhook)
    except SettingsError as e:
        raise UserError(str(e)) from None
    setup_logging(settings.token)
    try:
        asyncio.run(_serve(settings, args))
    except SettingsError as e:
        raise UserError(str(e)) from None
    return 0


async def _serve(settings: Settings, args) -> None:
    from retrieval.engine import Engine

    from .exchange_log import ExchangeLog
    from .service import log_path

    name = await check_token(settings)
    log.info("token accepted for @%s; loading the model and index", name)
    engine = await asyncio.to_thread(Engine.load, args.index, args.model)
    exchange_log = ExchangeLog(log_path(args.log))
    app = build_application(settings, Service(engine, exchange_log))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        try:
            await start(app, settings, webhook=args.webhook)
        except OSError as e:  # the webhook's port is taken or not ours to bind
            raise SettingsError(f"Cannot listen on {settings.listen_host}:{settings.listen_port} "
                                f"({e.strerror or e}). Check TELEGRAM_WEBHOOK_LISTEN.") from None
        await stopping.wait()
        log.info("stopping")
    finally:
        await stop(app)
        exchange_log.close()
