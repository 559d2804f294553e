"""A Zalo Bot API on 127.0.0.1 that keeps the platform's rules, so the channel is tested against them.

Rules kept: `POST /bot{TOKEN}/{method}` with a JSON body, answers `{"ok", "result"}` or
`{"ok": false, "error_code", "description"}`; one update per `getUpdates`, 408 when its long
poll (`{"timeout": "<seconds>"}`) runs out; no `getUpdates` while a webhook is set; a webhook
secret of 8–256 characters, sent back in `X-Bot-Api-Secret-Token`; text messages of at most
2,000 characters (longer ones are rejected, not cut).

Faults are queued with `fault(...)` and each spoils one `getUpdates` call:
"408", "500", "slow" (answers only after the client has given up), "malformed" (not JSON),
"garbage" (JSON of the wrong shape), "duplicate" (hands out the last update again).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque

import httpx
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

MAX_TEXT = 2000
BOT_NAME = "Trợ lý Quy định"
BOT_ACCOUNT = "bot.quydinh"


class FakeZalo:
    def __init__(self, token: str, slow_seconds: float = 2.0):
        self.token = token
        self.slow_seconds = slow_seconds
        self.pending: deque[dict] = deque()
        self.faults: deque[str] = deque()
        self.sent: list[dict] = []  # accepted sendMessage bodies
        self.rejected: list[dict] = []  # sendMessage bodies refused (too long, empty)
        self.calls: list[str] = []
        self.webhook: dict | None = None
        self.send_failures: deque[int] = deque()  # HTTP-level errors to answer the next sendMessage calls with
        self._last: dict | None = None
        self._arrived = asyncio.Event()
        self._ids = itertools.count(1)
        self._server: tornado.httpserver.HTTPServer | None = None
        self.base_url = ""

    # --- running ---------------------------------------------------------------------------

    async def start(self) -> str:
        # no access log: its lines would carry the token, and they are the platform's, not ours
        app = tornado.web.Application([(r"/bot([^/]+)/(\w+)", _Handler, {"fake": self})],
                                      log_function=lambda handler: None)
        self._server = tornado.httpserver.HTTPServer(app)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._server.add_sockets(sockets)
        self.base_url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._server:
            self._server.stop()
            await self._server.close_all_connections()

    # --- what a test does --------------------------------------------------------------------

    def update(self, text: str | None = None, *, event: str = "message.text.received", chat_id: str = "u1",
               user_id: str | None = None, chat_type: str = "PRIVATE", message_id: str | None = None) -> dict:
        msg = {"message_id": message_id or f"m{next(self._ids)}",
               "from": {"id": user_id or chat_id, "display_name": "Người dân", "is_bot": False},
               "chat": {"id": chat_id, "chat_type": chat_type}, "date": int(time.time() * 1000)}
        if text is not None:
            msg["text"] = text
        return {"event_name": event, "message": msg}

    def push(self, text: str | None = None, **kw) -> dict:
        """A user sends a message; the next getUpdates hands it out."""
        upd = self.update(text, **kw)
        self.pending.append(upd)
        self._arrived.set()
        return upd

    def fault(self, *names: str) -> None:
        self.faults.extend(names)

    def texts(self, chat_id: str = "u1") -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    async def wait_texts(self, n: int, chat_id: str = "u1", timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.texts(chat_id)) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{chat_id} got {len(self.texts(chat_id))} of {n} messages: {self.texts(chat_id)}")
            await asyncio.sleep(0.02)
        return self.texts(chat_id)

    async def deliver(self, update: dict, secret: str | None = "use-registered") -> int:
        """POST an update to the registered webhook, as Zalo does (or as a stranger would)."""
        assert self.webhook, "no webhook registered"
        headers = {}
        secret = self.webhook["secret_token"] if secret == "use-registered" else secret
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        async with httpx.AsyncClient() as client:
            r = await client.post(self.webhook["url"], json=update, headers=headers)
        return r.status_code

    # --- the API -------------------------------------------------------------------------------

    async def next_update(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while not self.pending:
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return None
        self._last = self.pending.popleft()
        return self._last

    async def answer(self, method: str, body: dict):
        """(http status, JSON-able answer) — or raw bytes for a broken one."""
        if method == "getMe":
            return ok({"id": "1234567890", "account_name": BOT_ACCOUNT, "account_type": "BASIC",
                       "can_join_groups": True, "display_name": BOT_NAME})
        if method == "getUpdates":
            return await self._get_updates(body)
        if method == "sendMessage":
            return self._send_message(body)
        if method == "sendChatAction":
            return ok(True)
        if method == "setWebhook":
            url, secret = body.get("url"), body.get("secret_token")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                return error(400, "url is invalid")
            if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
                return error(400, "secret_token must be 8-256 characters")
            self.webhook = {"url": url, "secret_token": secret}
            return ok({"url": url, "updated_at": int(time.time() * 1000)})
        if method == "deleteWebhook":
            self.webhook = None
            return ok({"url": "", "updated_at": int(time.time() * 1000)})
        if method == "getWebhookInfo":
            return ok({"url": self.webhook["url"] if self.webhook else "", "updated_at": 0})
        return error(404, "Not Found")

    async def _get_updates(self, body: dict):
        if self.webhook:
            return error(400, "webhook is set: getUpdates cannot be used")
        try:
            timeout = float(body.get("timeout", "30"))
        except (TypeError, ValueError):
            return error(400, "timeout is invalid")
        fault = self.faults.popleft() if self.faults else None
        if fault == "408":
            return error(408, "Request timeout")
        if fault == "500":
            return 500, b"<html><body>Internal Server Error</body></html>"
        if fault == "malformed":
            return 200, b'{"ok": true, "result": {"event_name": '
        if fault == "garbage":
            return 200, b'{"ok": true, "result": "nothing to see"}'
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
            return error(408, "Request timeout")
        if fault == "duplicate" and self._last:
            return ok(self._last)
        update = await self.next_update(timeout)
        return ok(update) if update else error(408, "Request timeout")

    def _send_message(self, body: dict):
        if self.send_failures:
            return error(self.send_failures.popleft(), "Service unavailable")
        text, chat_id = body.get("text"), body.get("chat_id")
        if not chat_id:
            return error(400, "chat_id is required")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            self.rejected.append(body)
            return error(400, f"text must be 1-{MAX_TEXT} characters")
        self.sent.append(body)
        return ok({"message_id": f"s{next(self._ids)}", "date": int(time.time() * 1000)})


def ok(result):
    return 200, {"ok": True, "result": result}


def error(code: int, description: str):
    return code, {"ok": False, "error_code": code, "description": description}


class _Handler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeZalo):
        self.fake = fake

    async def post(self, token: str, method: str):
        if token != self.fake.token:
            return self._reply(*error(401, "Unauthorized"))
        self.fake.calls.append(method)
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            return self._reply(*error(400, "body is not JSON"))
        self._reply(*await self.fake.answer(method, body if isinstance(body, dict) else {}))

    def _reply(self, status: int, payload) -> None:
        self.set_status(status)
        if isinstance(payload, bytes):
            self.write(payload)
        else:
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.write(json.dumps(payload, ensure_ascii=False))

    def log_exception(self, typ, value, tb):  # a client that gave up on a slow answer is expected
        if not isinstance(value, tornado.iostream.StreamClosedError):
            super().log_exception(typ, value, tb)
