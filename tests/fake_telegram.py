"""A stand-in for the Telegram Bot API on 127.0.0.1, so tests drive python-telegram-bot's real networking.

It serves `/bot<token>/<method>` from a thread (stdlib only), keeps updates until the bot confirms
them with `offset` as Telegram does, holds `getUpdates` open for long polling, records every call,
and checks what the bot sends the way Telegram would: only Telegram's HTML tags, properly nested,
every `<`, `>` and `&` escaped, at most 4,096 UTF-16 units after parsing, callback data ≤ 64 bytes.
Faults (5xx, 429 with retry_after, slow or hanging replies, malformed JSON) can be queued per method.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

TOKEN = "7000001:AAH-fake-token-for-tests-only_0123456789"
BOT = {"id": 7000001, "is_bot": True, "first_name": "Rulebot", "username": "rulebot_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
         "tg-emoji", "code", "pre", "blockquote"}
_TOKEN_RE = re.compile(
    r'<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*"[^"]*")?)*)\s*>'
    r"|&(#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot);"
    r"|[<>&]")


class ApiError(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


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
    tail = markup[pos:]
    out.append(tail)
    if stack:
        raise ApiError(400, f'Bad Request: can\'t parse entities: can\'t find end tag for "{stack[-1][0]}"')
    return "".join(out), entities


def blockquotes(markup: str) -> list[str]:
    text, entities = parse_html(markup)
    return [text[a:b] for name, a, b in sorted(entities, key=lambda e: e[1]) if name == "blockquote"]


@dataclass
class Sent:
    chat_id: int
    message_id: int
    markup: str  # the text parameter exactly as the bot sent it
    text: str  # what the user sees
    parse_mode: str | None
    reply_markup: dict | None
    reply_to: int | None
    at: float

    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data")) for row in rows for b in row]


@dataclass
class Fault:
    kind: str  # "500", "502", "429", "badjson", "slow", "hang"
    delay: float = 0.0
    retry_after: int = 1


@dataclass
class Call:
    method: str
    params: dict
    at: float
    status: int = 200
    fault: str | None = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: list[Sent] = field(default_factory=list)
    actions: list[tuple[int, str]] = field(default_factory=list)
    callback_answers: list[dict] = field(default_factory=list)
    markup_edits: list[dict] = field(default_factory=list)
    webhook: dict = field(default_factory=dict)
    commands: list | None = None

    def __post_init__(self):
        self._cond = threading.Condition()
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._stopping = False
        self.pushed_at: dict[int, float] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FakeTelegram":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                fake._serve(self)

            do_GET = do_POST

        ThreadingHTTPServer.request_queue_size = 1024  # a burst of connections must not be reset
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-telegram")
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- scripting the users -------------------------------------------------------------------

    def fault(self, method: str, kind: str, times: int = 1, **kw) -> None:
        with self._cond:
            self._faults[method].extend(Fault(kind, **kw) for _ in range(times))

    def faults_left(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._faults.values())

    def push(self, body: dict) -> int:
        with self._cond:
            uid = next(self._update_ids)
            self._updates.append({"update_id": uid, **body})
            self.pushed_at[uid] = time.perf_counter()
            self._cond.notify_all()
            return uid

    def push_many(self, bodies: list[dict]) -> list[int]:
        with self._cond:
            ids = []
            now = time.perf_counter()
            for body in bodies:
                uid = next(self._update_ids)
                self._updates.append({"update_id": uid, **body})
                self.pushed_at[uid] = now
                ids.append(uid)
            self._cond.notify_all()
            return ids

    def message(self, chat_id: int, text: str | None = None, *, user_id: int | None = None,
                chat_type: str = "private", reply_to: Sent | None = None, **extra) -> dict:
        """An incoming `message` update body, with the entities Telegram would have added."""
        user_id = chat_id if user_id is None else user_id
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Dân"} if chat_type == "private" else {"title": "Tổ dân phố"})
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
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

    def to(self, chat_id: int) -> list[Sent]:
        with self._cond:
            return [m for m in self.messages if m.chat_id == chat_id]

    def called(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate, timeout: float = 15.0, what: str = "condition", every: float = 0.02):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            await asyncio.sleep(every)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def pending(self) -> int:
        with self._cond:
            return len(self._updates)

    # --- HTTP -------------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if len(body) < length:  # the client gave up mid-request (a cancelled "typing…" action)
            h.close_connection = True
            return
        params = dict(parse_qsl(url.query))
        ctype = h.headers.get("Content-Type", "")
        if body and "json" in ctype:
            params.update(json.loads(body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", url.path)
        if not m:
            return self._reply(h, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = m.groups()
        call = Call(method, params, time.perf_counter())
        with self._cond:
            self.calls.append(call)
            fault = self._faults[method].popleft() if self._faults[method] else None
        if token != self.token:
            call.status = 401
            return self._reply(h, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if fault:
            call.fault = fault.kind
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "hang":  # outlives the client's read timeout; the request is dropped
                time.sleep(fault.delay)
                call.status = 504
                return self._reply(h, 504, {"ok": False, "error_code": 504, "description": "Gateway Timeout"})
            elif fault.kind == "500":
                call.status = 500
                return self._reply(h, 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
            elif fault.kind == "502":
                call.status = 502
                return self._raw(h, 502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            elif fault.kind == "429":
                call.status = 429
                return self._reply(h, 429, {"ok": False, "error_code": 429,
                                            "description": f"Too Many Requests: retry after {fault.retry_after}",
                                            "parameters": {"retry_after": fault.retry_after}})
            elif fault.kind == "badjson":
                call.status = 200
                return self._raw(h, 200, b'{"ok": true, "result": [{"update_id": ', "application/json")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.status = 404
            return self._reply(h, 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
        try:
            result = handler(_decode(params))
        except ApiError as e:
            call.status = e.code
            return self._reply(h, e.code, {"ok": False, "error_code": e.code, "description": e.description})
        except (KeyError, ValueError) as e:
            call.status = 400
            return self._reply(h, 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {e!r}"})
        self._reply(h, 200, {"ok": True, "result": result})

    def _reply(self, h, status: int, payload: dict) -> None:
        self._raw(h, status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    @staticmethod
    def _raw(h, status: int, body: bytes, ctype: str) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out); like Telegram, we do not care

    # --- methods ------------------------------------------------------------------------------

    def _m_getMe(self, p):
        return BOT

    def _m_getUpdates(self, p):
        offset = int(p.get("offset") or 0)
        limit = min(int(p.get("limit") or 100), 100)
        wait = min(float(p.get("timeout") or 0), 30.0)
        deadline = time.monotonic() + wait
        with self._cond:
            if self.webhook.get("url"):
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
            while True:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._stopping:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._updates[:limit]

    def _m_sendMessage(self, p):
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
            sent = Sent(int(p["chat_id"]), next(self._message_ids), text, plain, p.get("parse_mode"),
                        markup, reply, time.perf_counter())
            self.messages.append(sent)
        return self._message_dict(sent)

    def _m_sendChatAction(self, p):
        with self._cond:
            self.actions.append((int(p["chat_id"]), p["action"]))
        return True

    def _m_answerCallbackQuery(self, p):
        with self._cond:
            self.callback_answers.append(p)
        return True

    def _m_editMessageReplyMarkup(self, p):
        with self._cond:
            for sent in self.messages:
                if sent.chat_id == int(p["chat_id"]) and sent.message_id == int(p["message_id"]):
                    sent.reply_markup = p.get("reply_markup")
                    self.markup_edits.append(p)
                    return self._message_dict(sent)
        raise ApiError(400, "Bad Request: message to edit not found")

    def _m_setWebhook(self, p):
        with self._cond:
            self.webhook = {"url": p.get("url"), "secret_token": p.get("secret_token"),
                            "allowed_updates": p.get("allowed_updates")}
        return True

    def _m_deleteWebhook(self, p):
        with self._cond:
            self.webhook = {}
            if p.get("drop_pending_updates") in (True, "true", "True"):
                self._updates.clear()
        return True

    def _m_getWebhookInfo(self, p):
        return {"url": self.webhook.get("url") or "", "has_custom_certificate": False, "pending_update_count": 0}

    def _m_setMyCommands(self, p):
        self.commands = p.get("commands")
        return True

    def _message_dict(self, sent: Sent) -> dict:
        d = {"message_id": sent.message_id, "date": int(time.time()),
             "chat": {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "supergroup"},
             "from": BOT, "text": sent.text}
        if sent.reply_markup:
            d["reply_markup"] = sent.reply_markup
        return d


def _decode(params: dict) -> dict:
    """PTB sends form fields; objects and lists arrive JSON-encoded."""
    out = {}
    for k, v in params.items():
        if isinstance(v, str) and v[:1] in "[{":
            try:
                v = json.loads(v)
            except ValueError:
                pass
        out[k] = v
    return out


def _entities(text: str) -> list[dict]:
    """The entities Telegram adds by itself: a leading /command and @mentions (UTF-16 offsets)."""
    out = []
    for m in re.finditer(r"^/\w+(@\w+)?|(?<![\w@])@\w{3,}", text):
        kind = "bot_command" if m.group(0).startswith("/") else "mention"
        out.append({"type": kind, "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group(0))})
    return out
