"""Zalo: its Bot API spoken directly over httpx, plain text, no buttons.

Zalo's Bot API copies Telegram's shape but not its details: one update per `getUpdates`, a 408
when the long poll runs out, no offsets to acknowledge, plain text of at most 2,000 characters.
The API is a handful of calls, so it is spoken directly rather than through a client library
(the one on PyPI is an unmaintained fork of python-telegram-bot). Only transport lives here.
"""
from __future__ import annotations

import logging
import re

import httpx

from .. import render
from .core import COMMAND, HELP, NON_TEXT, TEXT, Fate, Incoming, SendError
from .settings import ChannelSettings, Platform

log = logging.getLogger(__name__)

PLATFORM = Platform(
    name="zalo", prefix="ZALO", official_api="https://bot-api.zaloplatforms.com",
    token_pattern=re.compile(r"\d+:[^\s/?#]+"),  # "<bot id>:<key>"; it goes into a URL path
    token_hint="Use the bot token Zalo Bot Manager sent ('<digits>:<key>')",
    secret_pattern=re.compile(r"[\x21-\x7e]{8,256}"),  # sent back in a header: visible ASCII only
    secret_rule="8 to 256 visible ASCII characters, no spaces",
    secret_header="X-Bot-Api-Secret-Token")
MAX_CHARS = 2000
TEXT_EVENT = "message.text.received"  # image, sticker and "unsupported" are the other message events
PLAIN = render.Plain()


class ZaloError(Exception):
    """A call that did not succeed, with what the delivery policy needs to know about it."""

    def __init__(self, method: str, code: int | None, description: str, fate: Fate, timeout: bool = False):
        super().__init__(f"{method}: {code if code is not None else 'no answer'} ({description})")
        self.method, self.code, self.description, self.fate, self.timeout = method, code, description, fate, timeout


class Api:
    """`POST {base}/bot{token}/{method}` with a JSON body; returns `result` or raises ZaloError."""

    def __init__(self, token: str, base_url: str, timeout: float = 10.0):
        self._prefix = f"{base_url.rstrip('/')}/bot{token}/"
        self._http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=64))

    async def call(self, method: str, payload: dict | None = None, timeout: float | None = None):
        kwargs = {"timeout": timeout} if timeout else {}
        try:
            r = await self._http.post(self._prefix + method, json=payload or {}, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
            raise ZaloError(method, None, type(e).__name__, Fate.NOT_SENT) from None
        except httpx.HTTPError as e:  # its message may name the URL, hence the token: keep only the kind
            raise ZaloError(method, None, type(e).__name__, Fate.MAYBE_SENT, timeout=True) from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            code = r.status_code if r.status_code >= 400 else None
            raise ZaloError(method, code, "not a Bot API answer", _fate(r.status_code))
        if body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        code = code if isinstance(code, int) else r.status_code
        raise ZaloError(method, code, str(body.get("description") or "error"), _fate(code))

    async def aclose(self) -> None:
        await self._http.aclose()


def _fate(code: int) -> Fate:
    if code == 429:
        return Fate.NOT_SENT
    if 400 <= code < 500:
        return Fate.REJECTED
    return Fate.MAYBE_SENT  # 5xx, or a 200 with a garbled body: it may have gone through


class ZaloTransport:
    name = PLATFORM.name
    buttons = False

    def __init__(self, api: Api):
        self.api = api

    def pack(self, items: list[render.Block]) -> list[str]:
        return render.pack(items, PLAIN, MAX_CHARS)

    async def send(self, chat: dict, text: str, *, first: bool = True, feedback: str | None = None,
                   examples: bool = False) -> None:
        try:
            await self.api.call("sendMessage", {"chat_id": chat["id"], "text": text})
        except ZaloError as e:
            raise SendError(e.fate, str(e), timeout=e.timeout) from None

    async def typing(self, chat: dict) -> None:
        await self.api.call("sendChatAction", {"chat_id": chat["id"], "action": "typing"})

    async def ack(self, callback, text: str | None = None) -> None:
        return None  # no buttons on Zalo

    async def mark_feedback(self, callback, value: str) -> None:
        return None


class ZaloAdapter:
    platform = PLATFORM

    def __init__(self, settings: ChannelSettings, *, poll_timeout: int = 30, grace: float = 10.0,
                 read_timeout: float = 10.0):
        self.settings, self.poll_timeout, self.grace = settings, poll_timeout, grace
        self.api = Api(settings.token, settings.api_url, timeout=read_timeout)
        self.transport = ZaloTransport(self.api)
        self.names: list[str] = []

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.settings.token, self.settings.secret or "")

    async def connect(self) -> str:
        """getMe checks the token, and gives the names groups call us by."""
        me = await self.api.call("getMe")
        if not isinstance(me, dict):
            raise ZaloError("getMe", None, "malformed answer", Fate.MAYBE_SENT)
        self.names = sorted((n for n in (me.get("display_name"), me.get("account_name"))
                             if isinstance(n, str) and n), key=len, reverse=True)  # longest mention first
        return self.names[0] if self.names else str(me.get("id"))

    def rejected(self, e: Exception) -> bool:
        return isinstance(e, ZaloError) and e.code in (401, 403, 404)

    @staticmethod
    def transient(e: Exception) -> bool:
        return isinstance(e, ZaloError) and e.fate is not Fate.REJECTED or (
            isinstance(e, ZaloError) and e.code in (408, 429))

    async def prepare(self, webhook: bool) -> None:
        if webhook:
            await self.api.call("setWebhook", {"url": self.settings.webhook_url, "secret_token": self.settings.secret})
        else:
            await self.api.call("deleteWebhook")  # Zalo refuses getUpdates while a webhook is set

    async def decorate(self) -> None:
        return None  # no command menu on Zalo

    async def poll_once(self, receive) -> None:
        """One long poll. A 408 only means nothing arrived: back at once, no back-off."""
        try:
            result = await self.api.call("getUpdates", {"timeout": str(self.poll_timeout)},
                                         timeout=self.poll_timeout + self.grace)
        except ZaloError as e:
            if e.code == 408:
                return
            raise
        for update in updates(result):
            receive(incoming(update, self.names))

    def from_webhook(self, body, receive) -> None:
        # The documentation shows {"ok": true, "result": {...}}; deployed bots post the update itself.
        update = body.get("result") if isinstance(body, dict) and body.get("ok") is True else body
        if not isinstance(update, dict) or "event_name" not in update:
            raise ValueError("not a Zalo update")
        receive(incoming(update, self.names))

    async def close(self) -> None:
        await self.api.aclose()


def updates(result) -> list[dict]:
    """One update per call is the rule; a list is accepted too. Anything else is malformed."""
    if result is None:
        return []
    if isinstance(result, dict) and "event_name" in result:
        return [result]
    if isinstance(result, list) and all(isinstance(u, dict) for u in result):
        return result
    raise ZaloError("getUpdates", None, "malformed update", Fate.MAYBE_SENT)


def incoming(update: dict, names: list[str]) -> Incoming | None:
    """What an update asks of the bot; None when it is not meant for it."""
    event, m = update.get("event_name"), update.get("message")
    if not isinstance(m, dict) or not isinstance(m.get("chat"), dict) or not str(event).startswith("message."):
        log.info("Zalo update without a message or chat ignored (%s)", event)
        return None
    chat_id, sender = m["chat"].get("id"), m.get("from") if isinstance(m.get("from"), dict) else {}
    if chat_id is None or sender.get("is_bot"):
        return None
    group = m["chat"].get("chat_type") == "GROUP"
    key = f"{chat_id}:{m['message_id']}" if m.get("message_id") is not None else None
    user, chat = sender.get("id", chat_id), {"id": chat_id}
    text = m.get("text") if event == TEXT_EVENT else None
    if text is not None and not isinstance(text, str):
        text = str(text)  # a number or other JSON value where text belongs: read it as text
    if group:
        text = addressed(text, names)
        if text is None:  # in a group, speak only when spoken to
            return None
    if text is None:
        return Incoming(key, chat, user, NON_TEXT, group=group)
    if text.strip().startswith("/"):
        name = text.strip().split()[0][1:].split("@")[0].lower()
        return Incoming(key, chat, user, COMMAND, name, group)
    return Incoming(key, chat, user, TEXT if text.strip() else HELP, text, group)


def addressed(text: str | None, names: list[str]) -> str | None:
    """The text meant for the bot in a group: a /command, or what follows an @mention of its name."""
    if not text:
        return None
    if text.strip().startswith("/"):
        return text
    for name in names:
        m = re.search("@" + re.escape(name), text, re.IGNORECASE)
        if m:
            return (text[:m.start()] + " " + text[m.end():]).strip(" ,:;-\n")
    return None
