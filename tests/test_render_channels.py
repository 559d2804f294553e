"""Telegram and Zalo say the same thing about the same Answer: only the markup may differ.

Both channels render through bot/render.py and only pick a renderer (TelegramHTML, Plain);
these tests hold that line, so a wording change can never reach one channel and not the other.
"""
from __future__ import annotations

import html
import re
from datetime import date

import pytest

from bot.render import Plain, TelegramHTML, blocks, messages, source_line
from retrieval.types import Answer, Citation, Source

TELEGRAM_LIMIT, ZALO_LIMIT = 4096, 2000

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
}


def visible(telegram_html: str) -> str:
    """What a Telegram user reads: tags gone, entities decoded."""
    return html.unescape(re.sub(r"</?(?:blockquote|i|b)>", "", telegram_html))


def both(answer: Answer) -> tuple[str, str]:
    telegram = visible("\n".join(messages(answer, TelegramHTML(), TELEGRAM_LIMIT)))
    zalo = "\n".join(messages(answer, Plain(), ZALO_LIMIT))
    return telegram, zalo


def assert_same_quote_and_source(answer: Answer) -> None:
    telegram, zalo = both(answer)
    for c in answer.citations:
        line = "— " + source_line(c.source, c.location)
        assert telegram.count(line) == zalo.count(line) >= 1
    main = answer.main
    line = "— " + source_line(main.source, main.location)
    if len(main.quote) < ZALO_LIMIT - 2:  # the whole quote reads as one piece on both channels
        assert main.quote in telegram and f"“{main.quote}”" in zalo
        assert telegram.index(main.quote) < telegram.index(line)
        assert zalo.index(main.quote) < zalo.index(line)
    else:  # split on sentences: every sentence still reaches both, before the source line
        for sentence in re.split(r"(?<=[.!?;…])\s+", main.quote):
            assert sentence in telegram and sentence in zalo
            assert zalo.index(sentence) < zalo.index(line)


@pytest.mark.parametrize("name", HAND_MADE)
def test_hand_made_answers_read_the_same(name):
    assert_same_quote_and_source(HAND_MADE[name])


def test_every_block_keeps_its_words_on_both_channels():
    for answer in HAND_MADE.values():
        for b in blocks(answer):
            assert b.text in visible(TelegramHTML().block(b))
            assert b.text in Plain().block(b)


def test_abstention_reads_the_same():
    answer = Answer("Giá vàng hôm nay bao nhiêu?", "no_match", as_of=date(2021, 8, 1))
    telegram, zalo = both(answer)
    assert telegram == zalo and "01/08/2021" in zalo


def test_telegram_markup_is_escaped_but_zalo_is_not_marked_up():
    answer = HAND_MADE["one clause with markup characters"]
    raw = "\n".join(messages(answer, TelegramHTML(), TELEGRAM_LIMIT))
    assert "<blockquote>Người dân &lt;không&gt; ra khỏi nhà &amp;" in raw
    zalo = "\n".join(messages(answer, Plain(), ZALO_LIMIT))
    assert "<blockquote>" not in zalo and "&amp;" not in zalo


@pytest.mark.parametrize("question", ["Tôi có được ra ngoài không?", "toi co duoc ra ngoai khong"])
def test_engine_answers_read_the_same(engine, question):
    answer = engine.answer(question)
    assert answer.status == "answered"
    assert_same_quote_and_source(answer)
