"""A stand-in for the Telegram Bot API on 127.0.0.1, so tests drive python-telegram-bot's real networking.

It serves `/bot<token>/<method>`, keeps updates until the bot confirms them with `offset` as
Telegram does (so a bot killed before confirming gets them again), holds `getUpdates` open for
long polling, records every call, and checks what the bot sends the way Telegram would: only
Telegram's HTML tags, properly nested, every `<`, `>` and `&` escaped, at most 4,096 UTF-16 units
after parsing, callback data ≤ 64 bytes. Faults: see fake_api.
"""
from __future__ import annotations

import html
import itertools
import json
import re
import time
from urllib.parse import parse_qsl

from fake_api import ApiError, FakeBotApi, Fault, Sent

TOKEN = "7000001:AAH-fake-token-for-tests-only_0123456789"
BOT = {"id": 7000001, "is_bot": True, "first_name": "Rulebot", "username": "rulebot_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
         "tg-emoji", "code", "pre", "blockquote"}
_TOKEN_RE = re.compile(
    r'<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*"[^"]*")?)*)\s*>'
    r"|&(#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot);"
    r"|[<>&]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Telegram's HTML parse mode, strictly: the plain text and (tag, start, end) entities."""
    out: list[str] = []
    size = 0
    stack: list[tuple[str, int]] = []
    entities = []
    pos = 0
    for m in _TOKEN_RE.finditer(markup):
        chunk = markup[pos:m.start()]
        out.append(chunk)
        size += len(chunk)
        pos = m.end()
        token = m.group(0)
        if token in "<>&":
            raise ApiError(400, f"Bad Request: can't parse entities: unescaped {token!r} at offset {m.start()}")
        if m.group(4):
            ch = html.unescape(token)
            out.append(ch)
            size += len(ch)
            continue
        closing, name = m.group(1), m.group(2).lower()
        if name not in _TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: unsupported start tag "{name}"')
        if closing:
            if not stack or stack[-1][0] != name:
                raise ApiError(400, f'Bad Request: can\'t parse entities: unmatched end tag "{name}"')
            _, start = stack.pop()
            entities.append((name, start, size))
        else:
            if name == "blockquote" and any(t == "blockquote" for t, _ in stack):
                raise ApiError(400, "Bad Request: can't parse entities: nested blockquote")
            stack.append((name, size))
    out.append(markup[pos:])
    if stack:
        raise ApiError(400, f'Bad Request: can\'t parse entities: can\'t find end tag for "{stack[-1][0]}"')
    return "".join(out), entities


def blockquotes(markup: str) -> list[str]:
    text, entities = parse_html(markup)
    return [text[a:b] for name, a, b in sorted(entities, key=lambda e: e[1]) if name == "blockquote"]


class FakeTelegram(FakeBotApi):
    name = "telegram"

    def __init__(self, token: str = TOKEN):
        super().__init__(token)
        self.callback_answers: list[dict] = []
        self.markup_edits: list[dict] = []
        self.webhook: dict = {}
        self.commands: list | None = None
        self.pushed_at: dict[int, float] = {}
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    # --- scripting the users -------------------------------------------------------------------

    def push(self, body: dict) -> int:
        """An update for the bot's next getUpdates; its update_id."""
        return self.push_many([body])[0]

    def push_many(self, bodies: list[dict]) -> list[int]:
        with self._cond:
            now, ids = time.perf_counter(), []
            for body in bodies:
                update = body if "update_id" in body else {"update_id": next(self._update_ids), **body}
                self._updates.append(update)
                self.pushed_at[update["update_id"]] = now
                ids.append(update["update_id"])
            self._cond.notify_all()
            return ids

    def update(self, chat_id: int, text: str | None = None, **kw) -> dict:
        """A whole update with a fresh update_id, not queued: for posting to a webhook."""
        return {"update_id": next(self._update_ids), **self.message(chat_id, text, **kw)}

    def message(self, chat_id: int, text: str | None = None, *, user_id: int | None = None,
                chat_type: str = "private", reply_to: Sent | None = None, **extra) -> dict:
        """An incoming `message` update body, with the entities Telegram would have added."""
        user_id = chat_id if user_id is None else user_id
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Dân"} if chat_type == "private" else {"title": "Tổ dân phố"})
        msg = {"message_id": self._next_message_id(), "date": int(time.time()), "chat": chat,
               "from": {"id": user_id, "is_bot": False, "first_name": "Dân", "language_code": "vi"}, **extra}
        if text is not None:
            msg["text"] = text
            entities = _entities(text)
            if entities:
                msg["entities"] = entities
        if reply_to is not None:
            msg["reply_to_message"] = self._message_dict(reply_to)
        return {"message": msg}

    def text(self, chat_id: int, text: str, **kw) -> int:
        return self.push(self.message(chat_id, text, **kw))

    def sticker(self, chat_id: int, **kw) -> int:
        return self.push(self.message(chat_id, sticker={
            "file_id": "CAAC-sticker", "file_unique_id": "st1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": "😷"}, **kw))

    def press(self, sent: Sent, data: str, user_id: int | None = None) -> str:
        qid = f"q{next(self._query_ids)}"
        user_id = sent.chat_id if user_id is None else user_id
        self.push({"callback_query": {
            "id": qid, "from": {"id": user_id, "is_bot": False, "first_name": "Dân"},
            "message": self._message_dict(sent), "chat_instance": "ci-1", "data": data}})
        return qid

    def pending(self) -> int:
        """Updates not yet confirmed by the bot."""
        with self._cond:
            return len(self._updates)

    # --- the platform's rules ------------------------------------------------------------------

    def error_payload(self, code: int, description: str, fault: Fault | None = None) -> dict:
        payload = {"ok": False, "error_code": code, "description": description}
        if code == 429 and fault is not None:
            payload["parameters"] = {"retry_after": fault.retry_after}
        return payload

    def decode(self, h, body: bytes, query: dict) -> dict:
        """PTB sends form fields, objects and lists JSON-encoded in them; JSON bodies are accepted too."""
        params = dict(query)
        if body and "json" in h.headers.get("Content-Type", ""):
            params.update(json.loads(body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        out = {}
        for k, v in params.items():
            if isinstance(v, str) and v[:1] in "[{":
                try:
                    v = json.loads(v)
                except ValueError:
                    pass
            out[k] = v
        return out

    def _m_getMe(self, p, fault):
        return BOT

    def _m_getUpdates(self, p, fault):
        offset = int(p.get("offset") or 0)
        limit = min(int(p.get("limit") or 100), 100)
        wait = min(float(p.get("timeout") or 0), 30.0)
        deadline = time.monotonic() + wait
        with self._cond:
            if self.webhook.get("url"):
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
            while True:
                if offset:  # confirmed: gone for good
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._stopping:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._updates[:limit]

    def _m_sendMessage(self, p, fault):
        text = p.get("text")
        if not isinstance(text, str):
            raise ApiError(400, "Bad Request: message text is empty")
        mode = (p.get("parse_mode") or "").lower()
        plain = parse_html(text)[0] if mode == "html" else text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = p.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for b in row:
                if len((b.get("callback_data") or "").encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        reply = (p.get("reply_parameters") or {}).get("message_id")
        with self._cond:
            sent = Sent(int(p["chat_id"]), self._next_message_id(), text, plain, p.get("parse_mode"),
                        markup, reply)
            self.messages.append(sent)
        return self._message_dict(sent)

    def _m_sendChatAction(self, p, fault):
        with self._cond:
            self.actions.append((int(p["chat_id"]), p["action"]))
        return True

    def _m_answerCallbackQuery(self, p, fault):
        with self._cond:
            self.callback_answers.append(p)
        return True

    def _m_editMessageReplyMarkup(self, p, fault):
        with self._cond:
            for sent in self.messages:
                if sent.chat_id == int(p["chat_id"]) and sent.message_id == int(p["message_id"]):
                    sent.reply_markup = p.get("reply_markup")
                    self.markup_edits.append(p)
                    return self._message_dict(sent)
        raise ApiError(400, "Bad Request: message to edit not found")

    def _m_setWebhook(self, p, fault):
        with self._cond:
            self.webhook = {"url": p.get("url"), "secret_token": p.get("secret_token"),
                            "allowed_updates": p.get("allowed_updates")}
        return True

    def _m_deleteWebhook(self, p, fault):
        with self._cond:
            self.webhook = {}
            if p.get("drop_pending_updates") in (True, "true", "True"):
                self._updates.clear()
        return True

    def _m_getWebhookInfo(self, p, fault):
        return {"url": self.webhook.get("url") or "", "has_custom_certificate": False, "pending_update_count": 0}

    def _m_setMyCommands(self, p, fault):
        self.commands = p.get("commands")
        return True

    def _message_dict(self, sent: Sent) -> dict:
        d = {"message_id": sent.message_id, "date": int(time.time()),
             "chat": {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "supergroup"},
             "from": BOT, "text": sent.text}
        if sent.reply_markup:
            d["reply_markup"] = sent.reply_markup
        return d


def _entities(text: str) -> list[dict]:
    """The entities Telegram adds by itself: a leading /command and @mentions (UTF-16 offsets)."""
    out = []
    for m in re.finditer(r"^/\w+(@\w+)?|(?<![\w@])@\w{3,}", text):
        kind = "bot_command" if m.group(0).startswith("/") else "mention"
        out.append({"type": kind, "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group(0))})
    return out
