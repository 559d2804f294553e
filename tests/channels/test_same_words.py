"""Telegram and Zalo say the same thing about the same Answer: only the markup may differ.

Both channels render through bot/render.py and only pick a renderer and a limit (TelegramHTML
in 4,096 UTF-16 units, Plain in 2,000 characters); these tests hold that line, so a wording change
can never reach one channel and not the other. (The same check on the real engine's answers is
an integration test.)"""
from __future__ import annotations

import html
import re
from datetime import date

import pytest

from bot.channels.telegram import split_html
from bot.channels.zalo import MAX_CHARS, PLAIN
from bot.render import Plain, TelegramHTML, blocks, pack, source_line
from conftest import CLAUSES, DOCS, canned
from retrieval.types import Answer, Citation, Source

ZALO_LIMIT = MAX_CHARS
SOURCE = Source(id="ct17", title="Chỉ thị số 17/CT-UBND về các biện pháp <cấp bách> & phòng, chống dịch",
                kind="chỉ thị", issuer="UBND thành phố Hà Nội", date=date(2021, 7, 23), place="Hà Nội",
                number="17/CT-UBND")
OLDER = Source(id="cv", title="Công văn về “vùng xanh”", kind="công văn", issuer="Sở Y tế Hà Nội",
               date=date(2021, 5, 10), place="Hà Nội")


def cite(quote: str, source: Source = SOURCE, where: str = "Điều 2, khoản 1") -> Citation:
    return Citation(quote, source, where, f"{source.id}:{where}", 0, len(quote), 0.9)


SENTENCE = "Người dân chỉ ra ngoài khi thật sự cần thiết như mua lương thực, thực phẩm, thuốc men & cấp cứu y tế; "
HAND_MADE = {
    "one clause with markup characters": Answer(
        "Tôi có được ra ngoài không?", "answered",
        main=cite("Người dân <không> ra khỏi nhà & chỉ ra ngoài khi “thật sự cần thiết”.")),
    "newest first, with further clauses": Answer(
        "Vùng xanh là gì?", "answered", main=cite("Giữ vững “vùng xanh” là nhiệm vụ trọng tâm."),
        more=(cite("Các phường, xã rà soát, lập danh sách hộ dân trong " + "vùng xanh " * 40, OLDER, "mục 3"),)),
    "a quote longer than a Zalo message": Answer(
        "Quy định đi lại thế nào?", "answered", main=cite((SENTENCE * 30).strip())),
    "the fake engine's answer": canned("Tôi có được ra ngoài không?"),
}


def visible(telegram_html: str) -> str:
    """What a Telegram user reads: tags gone, entities decoded."""
    return html.unescape(re.sub(r"</?(?:blockquote|i|b)>", "", telegram_html))


def both(answer: Answer) -> tuple[str, str]:
    telegram = visible("\n".join(split_html(blocks(answer))))
    zalo = "\n".join(pack(blocks(answer), PLAIN, MAX_CHARS))
    return telegram, zalo


@pytest.mark.parametrize("name", HAND_MADE)
def test_the_same_quote_and_source_line_reach_both_channels(name):
    answer = HAND_MADE[name]
    telegram, zalo = both(answer)
    for c in answer.citations:
        line = "— " + source_line(c.source, c.location)
        assert telegram.count(line) == zalo.count(line) >= 1
    main, line = answer.main, "— " + source_line(answer.main.source, answer.main.location)
    if len(main.quote) < ZALO_LIMIT - 2:  # the whole quote reads as one piece on both channels
        assert main.quote in telegram and f"“{main.quote}”" in zalo
        assert telegram.index(main.quote) < telegram.index(line) and zalo.index(main.quote) < zalo.index(line)
    else:  # split on sentences: every sentence still reaches both, before the source line
        for sentence in re.split(r"(?<=[.!?;…])\s+", main.quote):
            assert sentence in telegram and sentence in zalo and zalo.index(sentence) < zalo.index(line)


def test_every_block_keeps_its_words_on_both_channels():
    for answer in HAND_MADE.values():
        for b in blocks(answer):
            assert b.text in visible(TelegramHTML().block(b)) and b.text in Plain().block(b)


def test_an_abstention_reads_the_same():
    telegram, zalo = both(Answer("Giá vàng hôm nay bao nhiêu?", "no_match", as_of=date(2021, 8, 1)))
    assert telegram == zalo and "01/08/2021" in zalo


def test_telegram_markup_is_escaped_and_zalo_is_not_marked_up():
    answer = HAND_MADE["one clause with markup characters"]
    assert "<blockquote>Người dân &lt;không&gt; ra khỏi nhà &amp;" in "\n".join(split_html(blocks(answer)))
    zalo = "\n".join(pack(blocks(answer), PLAIN, MAX_CHARS))
    assert "<blockquote>" not in zalo and "&amp;" not in zalo


def test_the_fake_engine_quotes_real_clauses_verbatim():
    texts = {d.source.id: d.text for d in DOCS}
    assert len(CLAUSES) >= 10 and len({c.source.id for c in CLAUSES}) >= 4
    assert all(texts[c.source.id][c.start:c.end] == c.quote for c in CLAUSES)
