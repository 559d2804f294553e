"""What every channel does with a question: log it, flood check, answer off the event loop, log
the outcome. Channels only receive, render and send; they never answer or log on their own.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from retrieval.types import Answer

from .exchange_log import ExchangeLog

log = logging.getLogger(__name__)


def log_path(cli_value: str | None = None) -> Path:
    return Path(cli_value or os.environ.get("RULEBOT_LOG") or "var/rulebot-log.db")


class FloodLimiter:
    """At most `limit` questions per `window` seconds per user."""

    def __init__(self, limit: int = 5, window: float = 10.0):
        self.limit, self.window = limit, window
        self._seen: dict[str, deque] = defaultdict(deque)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        q = self._seen[key]
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


@dataclass
class Exchange:
    id: str
    answer: Answer | None  # None when flood-limited or when the engine failed
    started: float
    limited: bool = False
    notify: bool = False  # limited, and the user has not been told yet in this window


class Service:
    def __init__(self, engine, exchange_log: ExchangeLog, limiter: FloodLimiter | None = None):
        self.engine = engine
        self.log = exchange_log
        self.limiter = limiter or FloodLimiter()
        self._flood_noticed: dict[str, float] = {}

    def receive(self, channel: str, user_id: object, text: str, key: str | None = None,
                chat: dict | None = None) -> str | None:
        """Log a question the moment it arrives; None when this update was logged before."""
        return self.log.question(channel, user_id, text, key=key, chat=chat)

    async def ask(self, channel: str, user_id: object, text: str) -> Exchange:
        """Log and answer in one step, for callers without a platform update (the console, tests)."""
        xid = self.receive(channel, user_id, text)
        return await self.answer(xid, self.user_hash(channel, user_id), text)

    def user_hash(self, channel: str, user_id: object) -> str:
        return self.log.user_hash(channel, user_id)

    async def answer(self, xid: str, user_hash: str, text: str) -> Exchange:
        """Answer a logged question in a worker thread, so other chats keep flowing. Never raises:
        an engine failure is logged and comes back as an Exchange without an answer."""
        started = time.perf_counter()
        if not self.limiter.allow(user_hash):
            notify = self._notice_due(user_hash)
            self._safely(self.log.answered, xid, None, 0.0, error="flood-limited", status="limited")
            self._safely(self.log.delivered, xid, "", "none" if not notify else "flood-notice", 0)
            return Exchange(xid, None, started, limited=True, notify=notify)
        try:
            answer, margin = await asyncio.to_thread(self._answer, text)
        except Exception as e:
            log.exception("answering failed")
            self._safely(self.log.answered, xid, None, _ms(started), error=f"engine-error: {type(e).__name__}")
            return Exchange(xid, None, started)
        self._safely(self.log.answered, xid, answer, _ms(started), margin=margin)
        return Exchange(xid, answer, started)

    def _answer(self, text: str) -> tuple[Answer, float | None]:
        answer = self.engine.answer(text)
        return answer, getattr(answer, "margin", None)

    def delivered(self, ex: Exchange, reply: str, delivery=None) -> None:
        """Complete the log record once the channel has (or has not) sent the reply; no `delivery`
        means it went out at the first attempt. Never raises: the reply is already out, and a
        failing log must not turn it into an error message."""
        outcome, attempts, error = (delivery.outcome, delivery.attempts, delivery.error) if delivery else ("delivered", 1, None)
        self._safely(self.log.delivered, ex.id, reply, outcome, attempts, error)

    def unfinished(self, channel: str, within_seconds: float) -> list[dict]:
        return self.log.unfinished(channel, within_seconds)

    def _notice_due(self, key: str) -> bool:
        """One flood notice per window, or a flooding user would be flooded back."""
        now, window = time.monotonic(), self.limiter.window
        if now - self._flood_noticed.get(key, -window) < window:
            return False
        if len(self._flood_noticed) > 10_000:
            self._flood_noticed = {k: t for k, t in self._flood_noticed.items() if now - t < window}
        self._flood_noticed[key] = now
        return True

    def feedback(self, channel: str, user_id: object, xid: str, value: str) -> bool:
        return self.log.feedback(xid, channel, user_id, value)

    @staticmethod
    def _safely(write, *args, **kwargs) -> None:
        try:
            write(*args, **kwargs)
        except Exception:
            log.exception("exchange log write failed")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
