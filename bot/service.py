"""What every channel does with a message: flood check, log, answer off the event loop, log again.

Channels only receive, render and send; they never answer or log on their own.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from retrieval.engine import Engine
from retrieval.types import Answer

from .exchange_log import ExchangeLog

log = logging.getLogger(__name__)

FLOOD_MESSAGE = "Bạn gửi hơi nhanh, mình chưa kịp trả lời. Bạn đợi vài giây rồi hỏi tiếp nhé."
ERROR_MESSAGE = "Xin lỗi, mình đang gặp sự cố nên chưa trả lời được. Bạn vui lòng thử lại sau ít phút."
NON_TEXT_MESSAGE = "Mình chỉ đọc được tin nhắn chữ. Bạn hãy gõ câu hỏi, ví dụ: “Tôi có được ra ngoài không?”"
EXAMPLES = (
    "Tôi có được ra ngoài không?",
    "Phương châm “4 tại chỗ” là gì?",
    "Người về từ vùng dịch có phải xét nghiệm không?",
)
GREETING = (
    "Xin chào! Mình là trợ lý tra cứu quy định phòng, chống dịch Covid-19 của Hà Nội.\n"
    "Bạn hỏi, mình trả lời bằng đúng câu chữ trong văn bản và ghi rõ nguồn: tên văn bản, "
    "cơ quan ban hành, ngày, mục.\n"
    "Mình không tư vấn sức khỏe và không trả lời những gì văn bản không nói; khi đó mình sẽ chỉ "
    "bạn nơi hỏi chính thức."
)
HELP = (
    "Cách dùng: gõ câu hỏi bằng tiếng Việt, có dấu hay không dấu đều được.\n"
    "/nguon — các văn bản mình đang tra cứu\n"
    "/help — hướng dẫn này\n"
    "Dưới mỗi câu trả lời có nút 👍 / 👎 để bạn góp ý; cán bộ sẽ xem lại các câu trả lời."
)


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
    answer: Answer | None  # None when flood-limited (nothing is answered then)
    started: float
    limited: bool = False
    notify: bool = False  # limited, and the user has not been told yet in this window


class Service:
    def __init__(self, engine: Engine, exchange_log: ExchangeLog, limiter: FloodLimiter | None = None):
        self.engine = engine
        self.log = exchange_log
        self.limiter = limiter or FloodLimiter()
        self._flood_noticed: dict[str, float] = {}

    async def ask(self, channel: str, user_id: object, text: str) -> Exchange:
        """Log the question, then answer it in a worker thread so other chats keep flowing."""
        started = time.perf_counter()
        key = self.log.user_hash(channel, user_id)
        xid = self.log.question(channel, user_id, text)
        if not self.limiter.allow(key):
            notify = self._notice_due(key)
            self.log.answered(xid, None, FLOOD_MESSAGE if notify else "", 0.0, error="flood-limited")
            return Exchange(xid, None, started, limited=True, notify=notify)
        try:
            answer = await asyncio.to_thread(self.engine.answer, text)
        except Exception:
            log.exception("answering failed")
            self.log.answered(xid, None, ERROR_MESSAGE, _ms(started), error="engine-error")
            raise
        return Exchange(xid, answer, started)

    def delivered(self, ex: Exchange, reply: str, ok: bool = True, error: str | None = None) -> None:
        """Complete the log record once the channel has (or has not) sent the reply. Never raises:
        the reply is already out, and a failing log must not turn it into an error message."""
        if ex.limited:
            return
        try:
            self.log.answered(ex.id, ex.answer, reply, _ms(ex.started), delivered=ok, error=error)
        except Exception:
            log.exception("could not log the delivery of exchange %s", ex.id)

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


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
