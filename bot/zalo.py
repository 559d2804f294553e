"""The Zalo channel: Zalo Bot API by long polling (`rulebot zalo`) or by webhook (`--webhook`).

Zalo's Bot API copies Telegram's shape but not its details: one update per `getUpdates`, a 408
when the long poll runs out, no offsets to acknowledge, plain text of at most 2,000 characters.
The API is four calls, so it is spoken directly over httpx rather than through a client library
(the one on PyPI is an unmaintained fork of python-telegram-bot). The webhook is served by
tornado, which python-telegram-bot[webhooks] already brings in.

As on every channel, this module only receives, renders and sends: answering, the flood limit
and the exchange log belong to `Service`, and the wording of answers to `bot.render`.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import signal
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .render import Block, Plain, messages, pack, source_list
from .service import (ERROR_MESSAGE, EXAMPLES, FLOOD_MESSAGE, GREETING, HELP, NON_TEXT_MESSAGE, Service,
                      log_path)

log = logging.getLogger(__name__)

CHANNEL = "zalo"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MAX_CHARS = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
PLAIN = Plain()

TOKEN_RE = re.compile(r"^\d+:[^\s/?#]+$")  # "<bot id>:<key>"; it goes into a URL path
SECRET_RE = re.compile(r"^[\x21-\x7e]{8,256}$")  # sent back in a header: visible ASCII only

TEXT = "message.text.received"  # image, sticker and "unsupported" are the other message events

# Zalo has no inline buttons, so the feedback line of the shared help would promise something
# this channel does not have.
HELP_TEXT = "\n".join(line for line in HELP.splitlines() if "👍" not in line)
EXAMPLES_TEXT = "Bạn có thể gõ thử một câu hỏi, ví dụ:\n" + "\n".join(f"• {q}" for q in EXAMPLES)
UNKNOWN_COMMAND = "Mình không có lệnh này."


class ZaloError(Exception):
    """A call that did not succeed; `code` is None when no usable answer came back at all."""

    def __init__(self, method: str, code: int | None, description: str):
        super().__init__(f"{method}: {code if code is not None else 'no answer'} ({description})")
        self.method, self.code, self.description = method, code, description

    @property
    def transient(self) -> bool:
        return self.code is None or self.code == 429 or self.code >= 500


class _Redact(logging.Filter):
    """httpx logs every request URL at INFO, and ours all carry the token."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if self.token in msg:
            record.msg, record.args = msg.replace(self.token, "<token>"), None
        return True


def _hide_token(token: str) -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:  # one line per long poll is noise anyway
            logger.setLevel(logging.WARNING)
        if not any(isinstance(f, _Redact) and f.token == token for f in logger.filters):
            logger.addFilter(_Redact(token))


class Api:
    """`POST {base}/bot{token}/{method}` with a JSON body; returns `result` or raises ZaloError."""

    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 10.0):
        _hide_token(token)
        self._prefix = f"{base_url.rstrip('/')}/bot{token}/"
        self._http = httpx.AsyncClient(timeout=timeout)

    async def call(self, method: str, payload: dict | None = None, timeout: float | None = None):
        kwargs = {"timeout": timeout} if timeout else {}
        try:
            r = await self._http.post(self._prefix + method, json=payload or {}, **kwargs)
        except httpx.HTTPError as e:  # its message may name the URL, hence the token: keep only the kind
            raise ZaloError(method, None, type(e).__name__) from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ZaloError(method, r.status_code if r.status_code >= 400 else None, "not a Bot API answer")
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        code = code if isinstance(code, int) else r.status_code
        raise ZaloError(method, code, str(body.get("description") or "error"))

    async def aclose(self) -> None:
        await self._http.aclose()


class Seen:
    """The last `size` message ids: an update handed out twice must not be answered (or logged) twice."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._ids: dict = {}

    def first_time(self, key) -> bool:
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            del self._ids[next(iter(self._ids))]
        return True


def _updates(result) -> list[dict]:
    """One update per call is the rule; a list is accepted too. Anything else is malformed."""
    if result is None:
        return []
    if isinstance(result, dict) and "event_name" in result:
        return [result]
    if isinstance(result, list) and all(isinstance(u, dict) for u in result):
        return result
    raise ZaloError("getUpdates", None, "malformed update")


class ZaloBot:
    def __init__(self, api: Api, service: Service, *, poll_timeout: int = 30, grace: float = 10.0,
                 backoff: tuple[float, float] = (1.0, 60.0)):
        self.api, self.service = api, service
        self.poll_timeout, self.grace, self.backoff = poll_timeout, grace, backoff
        self.names: list[str] = []
        self.seen = Seen()
        self._tasks: set[asyncio.Task] = set()
        self._chats: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._server = None

    async def setup(self, me: dict | None = None) -> dict:
        """getMe checks the token before anything else, and gives the names groups call us by."""
        me = await self.api.call("getMe") if me is None else me
        if not isinstance(me, dict):
            raise ZaloError("getMe", None, "malformed answer")
        self.names = [n for n in (me.get("display_name"), me.get("account_name")) if isinstance(n, str) and n]
        self.names.sort(key=len, reverse=True)  # the longest mention is removed first
        return me

    # --- receiving --------------------------------------------------------------------------

    async def run_polling(self) -> None:
        await self.api.call("deleteWebhook")  # Zalo refuses getUpdates while a webhook is set
        await self.poll()

    async def poll(self) -> None:
        """Long-poll until cancelled. A 408 only means nothing arrived; any other failure backs off."""
        delay = 0.0
        while True:
            try:
                result = await self.api.call("getUpdates", {"timeout": str(self.poll_timeout)},
                                             timeout=self.poll_timeout + self.grace)
                updates = _updates(result)
            except ZaloError as e:
                if e.code == 408:
                    delay = 0.0
                    continue
                delay = min(max(delay * 2, self.backoff[0]), self.backoff[1])
                log.warning("Zalo polling failed (%s); retrying in %.1f s", e, delay)
                await asyncio.sleep(delay)
                continue
            delay = 0.0
            for update in updates:
                self.dispatch(update)

    def dispatch(self, update: dict) -> bool:
        """Answer in the background so one slow answer never holds up other chats or the poll."""
        msg = update.get("message")
        if not isinstance(msg, dict) or not isinstance(msg.get("chat"), dict):
            log.warning("Zalo update without a message or chat ignored (%s)", update.get("event_name"))
            return False
        key = (msg["chat"].get("id"), msg.get("message_id"))
        if msg.get("message_id") is not None and not self.seen.first_time(key):
            log.info("Zalo message seen before, not answered again")
            return False
        task = asyncio.create_task(self._handle(update.get("event_name"), msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def close(self, wait: float = 5.0) -> None:
        """Let answers in flight reach their users before shutting down."""
        if self._server:
            self._server.stop()
            self._server = None
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=wait)

    # --- answering --------------------------------------------------------------------------

    async def _handle(self, event: str | None, msg: dict) -> None:
        chat = msg["chat"]
        chat_id, sender = chat.get("id"), msg.get("from") or {}
        group = chat.get("chat_type") == "GROUP"
        if chat_id is None or sender.get("is_bot") or not str(event).startswith("message."):
            return
        text = msg.get("text") if event == TEXT else None
        if group:
            text = self._addressed(text)
            if text is None:  # in a group, speak only when spoken to
                return
        lock = self._chats.setdefault(chat_id, asyncio.Lock())
        async with lock:  # one chat's replies never interleave
            try:
                if text is None:
                    await self._say(chat_id, NON_TEXT_MESSAGE)
                elif text.strip().startswith("/"):
                    await self._command(chat_id, text.strip(), group)
                elif group and not text.strip():
                    await self._say(chat_id, HELP_TEXT)
                else:
                    await self._question(chat_id, sender.get("id", chat_id), text)
            except Exception:
                log.exception("Zalo message not handled")
                try:
                    await self._say(chat_id, ERROR_MESSAGE)
                except ZaloError as e:
                    log.warning("could not tell the user about the error either (%s)", e)

    def _addressed(self, text: str | None) -> str | None:
        """The text meant for the bot in a group: a /command, or what follows an @mention of its name."""
        if not text:
            return None
        if text.strip().startswith("/"):
            return text
        for name in self.names:
            m = re.search("@" + re.escape(name), text, re.IGNORECASE)
            if m:
                return (text[:m.start()] + " " + text[m.end():]).strip(" ,:;-\n")
        return None

    async def _command(self, chat_id, text: str, group: bool) -> None:
        name = text.split()[0][1:].split("@")[0].lower()
        if name == "start":
            await self._say(chat_id, GREETING, EXAMPLES_TEXT)
        elif name == "help":
            await self._say(chat_id, HELP_TEXT)
        elif name in ("nguon", "nguồn"):
            await self._send_all(chat_id, pack(source_list(self.service.engine.sources), PLAIN, MAX_CHARS))
        elif not group:  # in a group, an unknown command may well be meant for another bot
            await self._say(chat_id, UNKNOWN_COMMAND, HELP_TEXT)

    async def _question(self, chat_id, user_id, text: str) -> None:
        await self._typing(chat_id)
        try:
            ex = await self.service.ask(CHANNEL, user_id, text)
        except Exception:  # Service has logged it; the user still hears back
            await self._say(chat_id, ERROR_MESSAGE)
            return
        if ex.limited:
            if ex.notify:
                await self._say(chat_id, FLOOD_MESSAGE)
            return
        parts = messages(ex.answer, PLAIN, MAX_CHARS)
        try:
            await self._send_all(chat_id, parts)
        except ZaloError as e:
            log.error("Zalo reply not delivered: %s", e)
            self.service.delivered(ex, PLAIN.sep.join(parts), ok=False, error=f"zalo-{e.code or 'unreachable'}")
            return
        self.service.delivered(ex, PLAIN.sep.join(parts))

    # --- sending ----------------------------------------------------------------------------

    async def _say(self, chat_id, *texts: str) -> None:
        await self._send_all(chat_id, pack([Block("text", t) for t in texts], PLAIN, MAX_CHARS))

    async def _send_all(self, chat_id, parts: list[str]) -> None:
        for part in parts:
            await self._send(chat_id, part)

    async def _send(self, chat_id, text: str, attempts: int = 3) -> None:
        for attempt in range(attempts):
            try:
                await self.api.call("sendMessage", {"chat_id": chat_id, "text": text})
                return
            except ZaloError as e:
                if not e.transient or attempt == attempts - 1:
                    raise
                await asyncio.sleep(self.backoff[0] * 2 ** attempt)

    async def _typing(self, chat_id) -> None:
        try:
            await self.api.call("sendChatAction", {"chat_id": chat_id, "action": "typing"})
        except ZaloError:
            pass  # a courtesy only

    # --- webhook ----------------------------------------------------------------------------

    async def start_webhook(self, secret: str, path: str = "/", host: str = "0.0.0.0", port: int = 8080) -> int:
        """Listen for Zalo's POSTs; returns the port (useful with port 0)."""
        import tornado.httpserver
        import tornado.netutil
        import tornado.web

        app = tornado.web.Application([(re.escape(path), _webhook_handler(), {"bot": self, "secret": secret})])
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=1 << 20)
        sockets = tornado.netutil.bind_sockets(port, host)
        self._server.add_sockets(sockets)
        return sockets[0].getsockname()[1]

    async def register_webhook(self, url: str, secret: str) -> None:
        await self.api.call("setWebhook", {"url": url, "secret_token": secret})


def _webhook_handler():
    """Built on first use, so that tornado is imported only when a webhook is served."""
    import tornado.web

    class Handler(tornado.web.RequestHandler):
        def initialize(self, bot: ZaloBot, secret: str):
            self.bot, self.secret = bot, secret

        def post(self):
            given = self.request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                log.warning("Zalo webhook call with a missing or wrong secret refused")
                self.set_status(403)
                return
            try:
                body = json.loads(self.request.body)
            except ValueError:
                self.set_status(400)
                return
            # Zalo posts the update itself; a {"ok", "result"} envelope is accepted too.
            update = body.get("result") if isinstance(body, dict) and body.get("ok") is True else body
            if not isinstance(update, dict) or "event_name" not in update:
                self.set_status(400)
                return
            self.bot.dispatch(update)
            self.write({"ok": True})

    return Handler


# --- command line ---------------------------------------------------------------------------

@dataclass
class Settings:
    token: str
    base_url: str
    webhook_url: str | None = None
    webhook_secret: str | None = None


def configure(parser) -> None:
    parser.add_argument("--webhook", action="store_true",
                        help="receive updates by webhook instead of long polling "
                             "(needs ZALO_WEBHOOK_URL and ZALO_WEBHOOK_SECRET)")
    parser.add_argument("--webhook-url", help="public HTTPS URL Zalo posts to (default: $ZALO_WEBHOOK_URL)")
    parser.add_argument("--listen", default=os.environ.get("ZALO_WEBHOOK_LISTEN", "0.0.0.0"),
                        help="address the webhook server binds (default: $ZALO_WEBHOOK_LISTEN or 0.0.0.0)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ZALO_WEBHOOK_PORT") or 8080),
                        help="port the webhook server binds (default: $ZALO_WEBHOOK_PORT or 8080)")
    parser.add_argument("--index", help="index directory (default: $RULEBOT_INDEX or var/index)")
    parser.add_argument("--model", help="sentence-transformers model name or path (default: $RULEBOT_MODEL)")
    parser.add_argument("--log", help="exchange log database (default: $RULEBOT_LOG or var/rulebot-log.db)")


def settings(args, env=os.environ) -> Settings:
    """Read and check the settings; the token and secret come only from the environment, never argv."""
    from .cli import UserError

    token = (env.get("ZALO_BOT_TOKEN") or "").strip()
    if not token:
        raise UserError("ZALO_BOT_TOKEN is not set. Put the bot token from Zalo Bot Manager in it.")
    if not TOKEN_RE.match(token):
        raise UserError("ZALO_BOT_TOKEN does not look like a Zalo bot token (expected '<digits>:<key>', "
                        "as sent by Zalo Bot Manager). Check for stray quotes or spaces.")
    base = (env.get("ZALO_API_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
        raise UserError(f"ZALO_API_BASE_URL is not an http(s) URL: {base!r}")
    cfg = Settings(token, base)
    if getattr(args, "webhook", False):
        cfg.webhook_url = (getattr(args, "webhook_url", None) or env.get("ZALO_WEBHOOK_URL") or "").strip()
        cfg.webhook_secret = (env.get("ZALO_WEBHOOK_SECRET") or "").strip()
        if urlsplit(cfg.webhook_url).scheme != "https" or not urlsplit(cfg.webhook_url).netloc:
            raise UserError("--webhook needs a public https:// URL in --webhook-url or ZALO_WEBHOOK_URL.")
        if not SECRET_RE.match(cfg.webhook_secret):
            raise UserError("--webhook needs ZALO_WEBHOOK_SECRET: 8 to 256 visible ASCII characters, no spaces.")
    return cfg


def run(args) -> int:
    cfg = settings(args)  # before loading anything heavy: a bad setting fails at once
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def make_service() -> Service:
        from retrieval.engine import Engine

        from .exchange_log import ExchangeLog

        return Service(Engine.load(args.index, args.model), ExchangeLog(log_path(args.log)))

    asyncio.run(_main(cfg, make_service, args))
    return 0


async def _main(cfg: Settings, make_service, args) -> None:
    """SIGTERM (docker stop, systemd) shuts down as cleanly as Ctrl-C."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    await _serve(cfg, make_service, args)


async def _serve(cfg: Settings, make_service, args) -> None:
    """The token is checked with Zalo first; only then is the model loaded (seconds)."""
    from .cli import UserError

    api = Api(cfg.token, cfg.base_url)
    bot = None
    try:
        try:
            me = await api.call("getMe")
        except ZaloError as e:
            if e.code is None:
                raise UserError(f"Cannot reach the Zalo Bot API at {cfg.base_url} ({e.description}).") from None
            raise UserError(f"Zalo did not accept ZALO_BOT_TOKEN (error {e.code}: {e.description}). "
                            "Check the token in Zalo Bot Manager.") from None
        bot = ZaloBot(api, await asyncio.to_thread(make_service))
        await bot.setup(me)
        log.info("Zalo bot %s is running (%s)", bot.names[0] if bot.names else me.get("id"),
                 "webhook" if cfg.webhook_url else "long polling")
        if cfg.webhook_url:
            path = urlsplit(cfg.webhook_url).path or "/"
            port = await bot.start_webhook(cfg.webhook_secret, path, args.listen, args.port)
            try:
                await bot.register_webhook(cfg.webhook_url, cfg.webhook_secret)
            except ZaloError as e:
                raise UserError(f"Zalo refused the webhook {cfg.webhook_url} ({e.description}).") from None
            log.info("Webhook listening on %s:%d%s", args.listen, port, path)
            await asyncio.Event().wait()
        else:
            await bot.run_polling()
    except asyncio.CancelledError:
        log.info("Zalo bot stopping")
    finally:
        if bot is not None:
            await bot.close()
        await api.aclose()
