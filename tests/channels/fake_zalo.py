"""A Zalo Bot API on 127.0.0.1 that keeps the platform's rules, so the channel is tested against them.

Rules kept: `POST /bot{TOKEN}/{method}` with a JSON body, answers `{"ok", "result"}` or
`{"ok": false, "error_code", "description"}`; one update per `getUpdates`, handed out once (there
is no offset to confirm it with), 408 when its long poll (`{"timeout": "<seconds>"}`) runs out;
no `getUpdates` while a webhook is set; a webhook secret of 8–256 characters, sent back in
`X-Bot-Api-Secret-Token`; text messages of at most 2,000 characters (longer ones are refused,
not cut). Webhook bodies are posted in the flat shape deployed bots report, or in the
documented `{"ok": true, "result": …}` envelope (`envelope=True`).

Faults: see fake_api; on `getUpdates` also "duplicate" (hands out the last update again) and
"garbage" (JSON of the wrong shape). A faulted poll hands out nothing.
"""
from __future__ import annotations

import itertools
import time
from collections import deque

import httpx

from fake_api import ApiError, FakeBotApi, Sent

TOKEN = "1234567890:Zalo-test_TOKEN-abcdef0123456789"
MAX_TEXT = 2000
BOT_NAME = "Trợ lý Quy định"
BOT_ACCOUNT = "bot.quydinh"
SECRET_HEADER = "X-Bot-Api-Secret-Token"


class FakeZalo(FakeBotApi):
    name = "zalo"

    def __init__(self, token: str = TOKEN):
        super().__init__(token)
        self.pending: deque[dict] = deque()
        self.handed: list[dict] = []  # updates handed out by getUpdates, in order
        self.rejected: list[dict] = []  # sendMessage bodies refused (too long, empty)
        self.webhook: dict | None = None
        self.holding = False  # getUpdates hands out nothing while set (a quiet moment, on demand)
        self._last: dict | None = None
        self._ids = itertools.count(1)

    # --- what a test does --------------------------------------------------------------------

    def update(self, text: object = None, *, event: str = "message.text.received", chat_id: str = "u1",
               user_id: str | None = None, chat_type: str = "PRIVATE", message_id: str | None = None) -> dict:
        msg = {"message_id": message_id or f"m{next(self._ids)}",
               "from": {"id": user_id or chat_id, "display_name": "Người dân", "is_bot": False},
               "chat": {"id": chat_id, "chat_type": chat_type}, "date": int(time.time() * 1000)}
        if text is not None:
            msg["text"] = text
        return {"event_name": event, "message": msg}

    def push(self, text: object = None, **kw) -> dict:
        """A user sends a message; the next getUpdates hands it out."""
        return self.push_update(self.update(text, **kw))

    def push_update(self, update: dict) -> dict:
        with self._cond:
            self.pending.append(update)
            self._cond.notify_all()
        return update

    def push_many(self, updates: list[dict]) -> None:
        with self._cond:
            self.pending.extend(updates)
            self._cond.notify_all()

    def hold(self) -> None:
        with self._cond:
            self.holding = True

    def release(self) -> None:
        with self._cond:
            self.holding = False
            self._cond.notify_all()

    async def deliver(self, url: str, update: dict, secret: str | None, envelope: bool = False) -> int:
        """POST an update to a webhook as Zalo does (or as a stranger would, with a wrong secret)."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        body = {"ok": True, "result": update} if envelope else update
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(url, json=body, headers=headers)
        return r.status_code

    # --- the API -------------------------------------------------------------------------------

    def _m_getMe(self, p, fault):
        return {"id": "1234567890", "account_name": BOT_ACCOUNT, "account_type": "BASIC",
                "can_join_groups": True, "display_name": BOT_NAME}

    def _m_getUpdates(self, p, fault):
        if self.webhook:
            raise ApiError(400, "webhook is set: getUpdates cannot be used")
        try:
            timeout = min(float(p.get("timeout", "30")), 30.0)
        except (TypeError, ValueError):
            raise ApiError(400, "timeout is invalid") from None
        kind = fault.kind if fault else None
        if kind == "garbage":
            return "nothing to see"
        with self._cond:
            if kind == "duplicate" and self._last:
                return self._last
            deadline = time.monotonic() + timeout
            while not self.pending or self.holding or self.client_gone():
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping or self.client_gone():
                    raise ApiError(408, "Request timeout")  # to nobody, if the client is gone
                self._cond.wait(min(left, 0.1))
            self._last = self.pending.popleft()
            self.handed.append(self._last)
            return self._last

    def _m_sendMessage(self, p, fault):
        text, chat_id = p.get("text"), p.get("chat_id")
        if not chat_id:
            raise ApiError(400, "chat_id is required")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            with self._cond:
                self.rejected.append(p)
            raise ApiError(400, f"text must be 1-{MAX_TEXT} characters")
        with self._cond:
            sent = Sent(chat_id, self._next_message_id(), text, text)
            self.messages.append(sent)
        return {"message_id": f"s{sent.message_id}", "date": int(time.time() * 1000)}

    def _m_sendChatAction(self, p, fault):
        with self._cond:
            self.actions.append((p.get("chat_id"), p.get("action")))
        return True

    def _m_setWebhook(self, p, fault):
        url, secret = p.get("url"), p.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ApiError(400, "url is invalid")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise ApiError(400, "secret_token must be 8-256 characters")
        with self._cond:
            self.webhook = {"url": url, "secret_token": secret}
        return {"url": url, "updated_at": int(time.time() * 1000)}

    def _m_deleteWebhook(self, p, fault):
        with self._cond:
            self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    def _m_getWebhookInfo(self, p, fault):
        return {"url": self.webhook["url"] if self.webhook else "", "updated_at": 0}
