"""How an Answer reads to a resident; every channel renders through here.

An answer is a list of blocks (a sentence, a quote, a source line). A renderer turns each block
into its channel's markup; `messages` packs rendered blocks into messages under the channel's
length limit, cutting only between blocks (or, for one over-long block, between sentences), so
a message never ends inside a tag or a quote.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

from bot import validity_text
from retrieval.types import Answer, Source

from . import messages as msg


@dataclass(frozen=True)
class Block:
    kind: str  # "text", "quote", "source", "small_quote"
    text: str


def vn_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else msg.UNKNOWN_DATE


def source_line(source: Source, location: str) -> str:
    parts = [source.title]
    if source.number and source.number not in source.title:
        parts.append(source.number)
    parts += [source.issuer, f"ngày {vn_date(source.date)}", location]
    return ", ".join(p for p in parts if p)


def blocks(answer: Answer) -> list[Block]:
    if answer.status == "invalid":
        return [Block("text", msg.invalid_question(answer.notice, len(answer.question)))]
    if answer.status == "small_talk":
        return [Block("text", t) for t in msg.small_talk(answer.notice)]
    if answer.status == "no_match" or not answer.main:
        scope = msg.scope(vn_date(answer.as_of) if answer.as_of else None)
        return [Block("text", t) for t in msg.not_found(scope, answer.missing, answer.other)]
    main = answer.main
    dates = {c.source.date for c in answer.citations} - {None}
    newest = len(dates) > 1 and main.source.date == max(dates)  # the lead is the best ranked, not always the newest
    lead = msg.LEAD_NEWEST.format(date=vn_date(main.source.date)) if newest else msg.LEAD
    # Whether the rule still holds (bot/validity_text.py): a lapsed rule or old documents first.
    out = [Block("text", t) for t in validity_text.first(answer, msg.hotline())]
    out += [Block("text", validity_text.lead(answer) or lead), Block("quote", main.quote),
            Block("source", source_line(main.source, main.location))]
    out += _status(main, answer)
    if answer.more:
        out.append(Block("text", msg.MORE))
        for c in answer.more:
            out += [Block("small_quote", _shorten(c.quote, c.focus)),
                    Block("source", source_line(c.source, c.location))]
            out += _status(c, answer)
    return out


def _status(c, answer: Answer) -> list[Block]:
    said = validity_text.note(c, answer, msg.hotline())
    return [Block("text", said)] if said else []


def source_list(sources: list[Source]) -> list[Block]:
    """/nguon on every channel: the documents searched, newest first, each with its date,
    so a resident can judge how current an answer can be."""
    if not sources:
        return [Block("text", msg.NO_SOURCES)]
    return [Block("text", msg.SOURCES_HEAD)] + [
        Block("text", f"• {vn_date(s.date)}: {s.title} ({s.issuer})") for s in sources]


def texts(*lines: str) -> list[Block]:
    """Plain sentences (greetings, help, apologies) as blocks, to be packed like an answer."""
    return [Block("text", t) for t in lines]


def _shorten(quote: str, focus: tuple[int, int] | None = None, limit: int = 200) -> str:
    """Further clauses are shown shorter, from the sentence that matches the question (the
    focus) onwards, or from the start; cuts fall between words and are marked with "…"."""
    if len(quote) <= limit:
        return quote
    start = focus[0] if focus else 0
    end = len(quote) if len(quote) - start <= limit else quote.rfind(" ", start, start + limit)
    text = quote[start:end].strip().rstrip(",;: ") if end < len(quote) else quote[start:end].strip()
    return ("… " if start > 0 else "") + text + (" …" if end < len(quote) else "")


class Plain:
    """Console and Zalo: no markup; quote marks stand for the blockquote."""

    sep = "\n"

    def block(self, b: Block) -> str:
        if b.kind in ("quote", "small_quote"):
            return f"“{b.text}”"
        if b.kind == "source":
            return f"— {b.text}"
        return b.text


class TelegramHTML:
    """Telegram's HTML parse mode; every piece of dynamic text is escaped."""

    sep = "\n"

    def block(self, b: Block) -> str:
        t = html.escape(b.text, quote=False)
        if b.kind in ("quote", "small_quote"):
            return f"<blockquote>{t}</blockquote>"
        if b.kind == "source":
            return f"<i>— {t}</i>"
        return t


def render(answer: Answer, renderer=Plain()) -> str:
    return renderer.sep.join(renderer.block(b) for b in blocks(answer))


def messages(answer: Answer, renderer, limit: int) -> list[str]:
    return pack(blocks(answer), renderer, limit)


def pack(items: list[Block], renderer, limit: int) -> list[str]:
    """Join rendered blocks into messages of at most `limit` characters, cutting between blocks."""
    parts: list[str] = []
    for b in items:
        rendered = renderer.block(b)
        if len(rendered) <= limit:
            parts.append(rendered)
            continue
        for piece in _sentences(b.text):  # one block too long on its own: split it by sentence
            parts += [renderer.block(Block(b.kind, p)) for p in _hard_wrap(piece, renderer, b.kind, limit)]
    out: list[str] = []
    for p in parts:
        if out and len(out[-1]) + len(renderer.sep) + len(p) <= limit:
            out[-1] += renderer.sep + p
        else:
            out.append(p)
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;…])\s+", text) if s]


def _hard_wrap(text: str, renderer, kind: str, limit: int) -> list[str]:
    """Last resort for a sentence longer than a message: cut on spaces so markup still fits."""
    overhead = len(renderer.block(Block(kind, ""))) + 16
    room = max(limit - overhead, 16)
    out, line = [], ""
    for word in text.split(" "):
        while len(word) > room:  # a single unbroken run of characters
            if line:
                out.append(line)
                line = ""
            out.append(word[:room])
            word = word[room:]
        if line and len(line) + 1 + len(word) > room:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line)
    # escaping can lengthen text (& → &amp;): halve any piece that still overflows
    fixed, pending = [], list(reversed(out))
    while pending:
        p = pending.pop()
        if len(renderer.block(Block(kind, p))) > limit and len(p) > 1:
            pending += [p[len(p) // 2:], p[: len(p) // 2]]
        else:
            fixed.append(p)
    return fixed
