"""The channel core: what happens to a message, the same on every channel.

An adapter turns a platform update into an `Incoming` and hands it to `ChannelCore.receive`
*before* it acknowledges the update to the platform. From there the core does, once for all
channels: log the question (deduplicated by the platform's update id, so a re-delivered update
is answered once, across restarts too), then per chat and in order: typing indicator renewed
until the answer is ready → Service → render → pack → send under the delivery policy → record
the delivery. On start, `recover()` answers the questions a crash left unanswered.

Delivery policy (see README, "Delivery"): a message that certainly did not go out (connection
refused, 429) is retried with back-off; after a read timeout or a dropped connection it is sent
at most once more; a 5xx or a garbled reply means the platform may have delivered it, so it is
not sent again. An apology is sent only when no part of the answer can have gone out.
"""
from __future__ import annotations

import asyncio
import enum
import logging
import weakref
from dataclasses import dataclass, field
from typing import Protocol

from .. import messages as msg
from ..render import Block, blocks, source_list, texts
from ..service import Service

log = logging.getLogger(__name__)

TEXT, COMMAND, NON_TEXT, FEEDBACK, EXAMPLE, HELP = "text", "command", "non_text", "feedback", "example", "help"


@dataclass(frozen=True)
class Incoming:
    """One message or button press, as every channel sees it."""

    key: str | None  # the platform's id for this update ("<update_id>"): a second copy is ignored
    chat: dict  # JSON-able: where the reply goes ({"id": …, "reply_to": …}), kept until delivered
    user_id: object
    kind: str  # TEXT, COMMAND, NON_TEXT, FEEDBACK, EXAMPLE, HELP
    text: str = ""  # the question; the command's name; "up:<exchange id>"; the example's number
    group: bool = False
    callback: object = field(default=None, compare=False)  # a button press, to acknowledge


class Fate(enum.Enum):
    NOT_SENT = "not sent"  # the platform cannot have delivered it: safe to send again
    MAYBE_SENT = "maybe sent"  # it may have been delivered
    REJECTED = "rejected"  # the platform refused it (4xx): sending it again will not help


class SendError(Exception):
    def __init__(self, fate: Fate, detail: str, *, timeout: bool = False, retry_after: float | None = None):
        super().__init__(detail)
        self.fate, self.timeout, self.retry_after = fate, timeout, retry_after


@dataclass(frozen=True)
class DeliveryPolicy:
    attempts: int = 3  # sends of a message that certainly did not go out
    backoff: float = 0.5  # seconds before the second attempt, doubled for each further one
    max_wait: float = 30.0  # longest retry_after honoured before giving up on that message
    resends_after_timeout: int = 1


@dataclass(frozen=True)
class Delivery:
    outcome: str  # "delivered", "partial" (some parts out), "unknown" (may be out), "failed" (none out)
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "delivered"


class Transport(Protocol):
    """What a channel adapter provides: how messages travel, nothing about what they say."""

    name: str
    buttons: bool  # inline buttons (👍/👎, examples) exist on this platform

    def pack(self, items: list[Block]) -> list[str]: ...

    async def send(self, chat: dict, text: str, *, first: bool = True, feedback: str | None = None,
                   examples: bool = False) -> None: ...  # raises SendError

    async def typing(self, chat: dict) -> None: ...

    async def ack(self, callback, text: str | None = None) -> None: ...

    async def mark_feedback(self, callback, value: str) -> None: ...


class ChannelCore:
    def __init__(self, service: Service, transport: Transport, policy: DeliveryPolicy = DeliveryPolicy(),
                 typing_every: float = 4.5, recover_within: float = 3600.0, typing_after: float = 0.4):
        self.service, self.transport, self.policy = service, transport, policy
        self.typing_every = typing_every  # Telegram shows "typing…" for about five seconds
        # Most answers are ready in tens of milliseconds: "typing…" then would only flash, and
        # cost one request of the platform's per-bot budget (Telegram: about 30 a second) per question.
        self.typing_after = typing_after
        self.recover_within = recover_within
        self._chats: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task] = set()
        self._seen: dict[str, None] = {}  # keys of non-question updates handled (questions: the log)

    @property
    def channel(self) -> str:
        return self.transport.name

    # --- receiving ----------------------------------------------------------------------------

    def receive(self, inc: Incoming | None) -> bool:
        """Take an update; False when it was seen before or is not for the bot (None). Synchronous
        and quick: a question is in the log when this returns, so the caller may then acknowledge
        the update to the platform."""
        if inc is None:
            return False
        if inc.kind in (TEXT, EXAMPLE):
            question = inc.text if inc.kind == TEXT else _example(inc.text)
            if question is None:
                return self._spawn(self._answer_button(inc, None))
            xid = self.service.receive(self.channel, inc.user_id, question, key=inc.key, chat=inc.chat)
            if xid is None:
                log.info("%s update %s seen before, not answered again", self.channel, inc.key)
                return False
            return self._spawn(self._question(inc, xid, question))
        if inc.key is not None:
            if inc.key in self._seen:
                return False
            self._seen[inc.key] = None
            if len(self._seen) > 10_000:
                del self._seen[next(iter(self._seen))]
        return self._spawn(self._other(inc))

    def _spawn(self, coro) -> bool:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def recover(self) -> int:
        """Answer the questions a crash left unanswered (younger than `recover_within`); older
        ones are marked expired for the officials. Returns how many are being answered."""
        rows = self.service.unfinished(self.channel, self.recover_within)
        for row in rows:
            inc = Incoming(row["update_key"], row["chat"], row["user_hash"], TEXT, row["question"])
            self._spawn(self._question(inc, row["id"], row["question"], recovering=True))
        if rows:
            log.info("%s: answering %d question(s) left unanswered by the last run", self.channel, len(rows))
        return len(rows)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let answers in flight reach their residents before shutting down."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    # --- handling -----------------------------------------------------------------------------

    def _lock(self, chat: dict) -> asyncio.Lock:
        return self._chats.setdefault(str(chat.get("id")), asyncio.Lock())

    async def _question(self, inc: Incoming, xid: str, question: str, recovering: bool = False) -> None:
        try:
            async with self._lock(inc.chat):  # one chat's replies never interleave
                await self._answer(inc, xid, question, recovering)
        except Exception:  # a bug, not a platform fault: the row stays unfinished for the next start
            log.exception("%s: question %s not handled", self.channel, xid)

    async def _answer(self, inc: Incoming, xid: str, question: str, recovering: bool) -> None:
        if inc.kind == EXAMPLE:
            await self._best_effort(self.transport.ack(inc.callback))
            await self._say(inc.chat, f"❓ {question}")
        typing = asyncio.create_task(self._keep_typing(inc.chat))
        try:
            user = inc.user_id if recovering else self.service.user_hash(self.channel, inc.user_id)
            ex = await self.service.answer(xid, user, question)
        finally:
            typing.cancel()
        if ex.limited:
            if ex.notify:
                await self._say(inc.chat, msg.FLOOD)
            return
        if ex.answer is None:  # the engine failed; Service has logged why
            parts = self.transport.pack(texts(msg.ERROR))
            feedback = None
        else:
            parts = self.transport.pack(blocks(ex.answer))
            rated = ex.answer.status not in ("invalid", "small_talk")  # 👍/👎 only under an answer or a refusal
            feedback = ex.id if rated and self.transport.buttons else None
        delivery = await self._deliver(inc.chat, parts, feedback)
        self.service.delivered(ex, "\n".join(parts), delivery)
        if delivery.outcome == "failed" and ex.answer is not None:
            await self._say(inc.chat, msg.ERROR)  # nothing of the answer went out: say so once

    async def _other(self, inc: Incoming) -> None:
        try:
            async with self._lock(inc.chat):
                if inc.kind == COMMAND:
                    await self._command(inc)
                elif inc.kind == NON_TEXT:
                    await self._say(inc.chat, msg.NON_TEXT)
                elif inc.kind == HELP:
                    await self._say(inc.chat, msg.help_text(self.transport.buttons))
                elif inc.kind == FEEDBACK:
                    await self._feedback(inc)
                else:
                    await self._answer_button(inc, None)
        except Exception:
            log.exception("%s update not handled", self.channel)

    async def _command(self, inc: Incoming) -> None:
        name = inc.text
        if name == "start":
            if self.transport.buttons:
                await self._send_parts(inc.chat, self.transport.pack(texts(f"{msg.GREETING}\n\n{msg.TRY_EXAMPLES}")),
                                       examples=True)
            else:
                await self._say(inc.chat, msg.GREETING, msg.EXAMPLES_TEXT)
        elif name == "help":
            await self._say(inc.chat, msg.help_text(self.transport.buttons))
        elif name in msg.SOURCES_COMMANDS:
            await self._send_parts(inc.chat, self.transport.pack(source_list(self.service.engine.sources)))
        elif not inc.group:  # in a group, an unknown command may well be meant for another bot
            await self._say(inc.chat, msg.UNKNOWN_COMMAND, msg.help_text(self.transport.buttons))

    async def _feedback(self, inc: Incoming) -> None:
        value, _, xid = inc.text.partition(":")
        if value == "done":
            await self._best_effort(self.transport.ack(inc.callback, msg.FEEDBACK_AGAIN))
        elif not self.service.feedback(self.channel, inc.user_id, xid, value):
            await self._best_effort(self.transport.ack(inc.callback, msg.FEEDBACK_UNKNOWN))
        else:
            await self._best_effort(self.transport.ack(inc.callback, msg.FEEDBACK_THANKS))
            await self._best_effort(self.transport.mark_feedback(inc.callback, value))

    async def _answer_button(self, inc: Incoming, _) -> None:
        await self._best_effort(self.transport.ack(inc.callback))

    # --- sending ------------------------------------------------------------------------------

    async def _say(self, chat: dict, *lines: str) -> Delivery:
        return await self._send_parts(chat, self.transport.pack(texts(*lines)))

    async def _send_parts(self, chat: dict, parts: list[str], examples: bool = False) -> Delivery:
        d = await self._deliver(chat, parts, None, examples)
        if not d.ok:
            log.warning("%s: message not delivered (%s: %s)", self.channel, d.outcome, d.error)
        return d

    async def _deliver(self, chat: dict, parts: list[str], feedback: str | None,
                       examples: bool = False) -> Delivery:
        attempts, error, p = 0, None, self.policy
        for i, part in enumerate(parts):
            tries = resends = 0
            maybe_out = False  # an earlier attempt at this part may have been delivered
            last = i == len(parts) - 1
            while True:
                attempts += 1
                tries += 1
                try:
                    await self.transport.send(chat, part, first=i == 0, feedback=feedback if last else None,
                                              examples=examples and last)
                    break
                except SendError as e:
                    error = f"{e.fate.value}: {e}"
                    wait = e.retry_after if e.retry_after is not None else p.backoff * 2 ** (tries - 1)
                    if e.fate is Fate.NOT_SENT and tries < p.attempts and wait <= p.max_wait:
                        await asyncio.sleep(wait)
                        continue
                    if e.fate is Fate.MAYBE_SENT and e.timeout and resends < p.resends_after_timeout:
                        resends += 1
                        maybe_out = True
                        continue
                    if i > 0:
                        outcome = "partial"
                    elif maybe_out or e.fate is Fate.MAYBE_SENT:
                        outcome = "unknown"
                    else:
                        outcome = "failed"
                    log.warning("%s: reply %s after %d attempt(s): %s", self.channel, outcome, attempts, error)
                    return Delivery(outcome, attempts, error)
                except Exception as e:  # not a platform answer the policy knows: it may have gone out
                    log.exception("%s: sending failed unexpectedly", self.channel)
                    return Delivery("partial" if i > 0 else "unknown", attempts, f"unexpected: {type(e).__name__}")
        return Delivery("delivered", attempts, error)

    async def _keep_typing(self, chat: dict) -> None:
        """Shown once an answer takes longer than `typing_after`, renewed until cancelled: the
        indicator lasts a few seconds and answers can take longer."""
        await asyncio.sleep(self.typing_after)
        while True:
            await self._best_effort(self.transport.typing(chat))
            await asyncio.sleep(self.typing_every)

    async def _best_effort(self, coro) -> None:
        """Typing, button acknowledgements: courtesies, never worth a failure or a wait."""
        try:
            await coro
        except Exception as e:
            log.debug("%s: courtesy call failed: %s", self.channel, e)


def _example(text: str) -> str | None:
    return msg.EXAMPLES[int(text)] if text.isdigit() and int(text) < len(msg.EXAMPLES) else None

