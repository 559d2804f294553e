"""What only Telegram has: HTML markup checked the way Telegram parses it, limits counted in UTF-16
units, 👍/👎 and example buttons, a command menu, and groups where the bot speaks when spoken to."""
from __future__ import annotations

import json
import logging
from datetime import date

from bot import messages as msg
from bot.exchange_log import ExchangeLog
from conftest import SALT, complete, new_service, rows, running
from fake_telegram import BOT, blockquotes, parse_html, utf16_len
from retrieval.types import Answer, Citation, Source

SOURCE = Source(id="t", title="Chỉ thị <thử> & kiểm tra", kind="chỉ thị", issuer="UBND phường <A>",
                date=date(2021, 7, 31), place="Hà Nội", number="Số 1/CT")
GROUP = -1001234567


def cite(quote: str, where: str = "Điều 1", source: Source = SOURCE) -> Citation:
    return Citation(quote, source, where, f"t#{where}", 0, len(quote), 0.91)


async def test_markup_in_the_question_and_the_answer_reaches_the_user_as_text(tg, engine, log_path):
    q = "<b>Tôi có được ra ngoài không?</b> <script>alert(1)</script> & 1 < 2"
    engine.answers(q, Answer(q, "answered", main=cite("Người dân <không> ra khỏi nhà & chỉ ra ngoài khi > cần.")))
    async with running(tg, new_service(engine, log_path)):
        tg.ask(1, q)
        [reply] = await tg.fake.wait_for(lambda: tg.fake.to(tg.chat(1)))
        [row] = await tg.fake.wait_for(complete(log_path, 1))
    parse_html(reply.markup)  # Telegram's own rules: the fake would have refused it otherwise
    assert reply.parse_mode == "HTML" and "<script" not in reply.markup
    assert blockquotes(reply.markup) == ["Người dân <không> ra khỏi nhà & chỉ ra ngoài khi > cần."]
    assert "— Chỉ thị <thử> & kiểm tra, Số 1/CT, UBND phường <A>, ngày 31/07/2021, Điều 1" in reply.text
    assert row["question"] == q and row["delivered"] == 1


async def test_a_10000_character_answer_is_split_between_sentences_into_valid_messages(tg, engine, log_path):
    sentence = "Khoản {}: người dân <b>không</b> tụ tập quá 5 người & giữ khoảng cách > 2 m."
    quote = " ".join(sentence.format(i) for i in range(1, 131))
    assert len(quote) >= 10_000
    more = tuple(cite(sentence.format(i) * 4, f"Điều {i}") for i in (2, 3))
    engine.answers("câu hỏi dài", Answer("câu hỏi dài", "answered", main=cite(quote), more=more))
    async with running(tg, new_service(engine, log_path)):
        tg.ask(1, "câu hỏi dài")
        [row] = await tg.fake.wait_for(complete(log_path, 1))
    sent = tg.fake.to(tg.chat(1))
    assert len(sent) >= 3 and row["reply"] == "\n".join(m.markup for m in sent) and row["delivered"] == 1
    for m in sent:
        assert utf16_len(parse_html(m.markup)[0]) <= 4096 and len(m.markup) <= 4096
    quotes = [q for m in sent for q in blockquotes(m.markup)]
    assert " ".join(quotes[: len(quotes) - len(more)]) == quote  # cut only between sentences
    assert "&lt;b&gt;không&lt;/b&gt;" in sent[0].markup
    assert sum(m.text.count("Chỉ thị <thử> & kiểm tra") for m in sent) == 3  # a source line per clause
    assert [bool(m.buttons()) for m in sent] == [False] * (len(sent) - 1) + [True]  # 👍/👎 under the last


async def test_emoji_count_double_against_telegrams_limit_and_are_split_to_fit(tg, engine, log_path):
    """Telegram counts UTF-16 units: a message that fits in characters can still be too long."""
    quote = " ".join(f"Khoản {i}: đeo khẩu trang 😷😷😷😷😷😷😷😷😷😷😷😷 khi ra ngoài." for i in range(150))
    engine.answers("khẩu trang", Answer("khẩu trang", "answered", main=cite(quote)))
    async with running(tg, new_service(engine, log_path)):
        tg.ask(1, "khẩu trang")
        [row] = await tg.fake.wait_for(complete(log_path, 1))
    sent = tg.fake.to(tg.chat(1))
    assert max(len(m.markup) for m in sent) > 3000  # big parts, not a cautious 1,000 characters each
    assert all(utf16_len(m.text) <= 4096 for m in sent) and row["delivered"] == 1
    assert " ".join(q for m in sent for q in blockquotes(m.markup)) == quote


async def test_every_kind_of_non_text_message_gets_the_request_to_type(tg, engine, log_path):
    kinds = [{"photo": [{"file_id": "p", "file_unique_id": "p1", "width": 90, "height": 90}]},
             {"voice": {"file_id": "v", "file_unique_id": "v1", "duration": 3}},
             {"location": {"latitude": 21.03, "longitude": 105.85}},
             {"document": {"file_id": "d", "file_unique_id": "d1", "file_name": "don.pdf"}},
             {"pinned_message": {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"}}}]
    async with running(tg, new_service(engine, log_path)):
        for extra in kinds:
            tg.fake.push(tg.fake.message(tg.chat(1), **extra))
        tg.ask(1, "/help")  # handled after all of the above
        replies = await tg.replies(1, 5)
    assert replies == [msg.NON_TEXT] * 4 + [msg.help_text(True)]  # a pin is not a message to answer
    assert rows(log_path) == []


async def test_a_feedback_press_is_stored_acknowledged_and_marked_on_the_answer(tg, engine, log_path):
    async with running(tg, new_service(engine, log_path)):
        tg.ask(1, "Người về từ vùng dịch có phải xét nghiệm không?")
        [row] = await tg.fake.wait_for(complete(log_path, 1))
        [answer] = tg.fake.to(tg.chat(1))
        assert answer.buttons() == [("👍 Đúng", f"fb:up:{row['id']}"), ("👎 Chưa đúng", f"fb:down:{row['id']}")]
        tg.fake.press(answer, f"fb:down:{row['id']}")
        await tg.fake.wait_for(lambda: tg.fake.markup_edits)
        tg.fake.press(answer, "fb:done")
        tg.fake.press(answer, "fb:up:0123456789abcdef")  # an exchange this log never saw
        tg.fake.press(answer, "zz:what")  # a button of some older version
        await tg.fake.wait_for(lambda: len(tg.fake.callback_answers) == 4)
    con = ExchangeLog(log_path, salt=SALT)
    [fb] = con.rows("feedback")
    assert fb["exchange_id"] == row["id"] and fb["value"] == "down"
    assert fb["user_hash"] == con.user_hash("telegram", tg.chat(1))
    assert [a.get("text") for a in tg.fake.callback_answers] == [
        msg.FEEDBACK_THANKS, msg.FEEDBACK_AGAIN, msg.FEEDBACK_UNKNOWN, None]
    assert answer.buttons() == [(f"👎 {msg.FEEDBACK_DONE}", "fb:done")]


async def test_an_example_button_asks_its_question_for_the_user(tg, engine, log_path):
    async with running(tg, new_service(engine, log_path)):
        tg.ask(1, "/start")
        [hello] = await tg.fake.wait_for(lambda: tg.fake.to(tg.chat(1)))
        assert hello.buttons() == [(q, f"ex:{i}") for i, q in enumerate(msg.EXAMPLES)]
        tg.fake.press(hello, "ex:2")
        [row] = await tg.fake.wait_for(complete(log_path, 1))
        await tg.fake.wait_for(lambda: tg.fake.callback_answers)
    _, echo, answer = tg.fake.to(tg.chat(1))
    assert echo.text == f"❓ {msg.EXAMPLES[2]}" and blockquotes(answer.markup)
    assert row["question"] == msg.EXAMPLES[2] and row["delivered"] == 1
    assert [c["command"] for c in tg.fake.commands] == ["start", "help", "nguon"]  # the menu, set at start


async def test_in_a_group_the_bot_answers_only_when_addressed_and_quotes_the_question(tg, engine, log_path):
    me = "@" + BOT["username"]
    group = {"chat_type": "supergroup"}
    async with running(tg, new_service(engine, log_path)):
        f = tg.fake
        f.text(GROUP, "Tôi có được ra ngoài không?", user_id=11, **group)  # chatter: not for the bot
        f.sticker(GROUP, user_id=11, **group)
        f.text(GROUP, "/start@other_bot", user_id=11, **group)  # another bot's command
        f.text(GROUP, "/abc", user_id=11, **group)  # unknown here: maybe another bot's
        asked = f.text(GROUP, f"{me} người về từ vùng dịch có phải xét nghiệm không?", user_id=12, **group)
        f.text(GROUP, f"/help{me}", user_id=13, **group)
        await f.wait_for(lambda: len(f.to(GROUP)) == 2)
        answer = f.to(GROUP)[0]
        f.text(GROUP, "Còn chốt kiểm dịch thì sao?", user_id=12, reply_to=answer, **group)  # a reply to the bot
        f.sticker(GROUP, user_id=12, reply_to=answer, **group)
        f.text(GROUP, f"{me}", user_id=14, **group)  # a bare mention: the help
        await f.wait_for(lambda: len(f.to(GROUP)) == 5)
        await f.wait_for(complete(log_path, 2))
    assert [r["question"] for r in rows(log_path)] == ["người về từ vùng dịch có phải xét nghiệm không?",
                                                       "Còn chốt kiểm dịch thì sao?"]
    texts = [m.text for m in f.to(GROUP)]
    assert texts[1] == texts[4] == msg.help_text(True) and texts[3] == msg.NON_TEXT
    assert blockquotes(f.to(GROUP)[0].markup) and blockquotes(f.to(GROUP)[2].markup)
    assert all(m.reply_to for m in f.to(GROUP))  # in a busy group, each reply quotes its message
    assert asked and f.pending() == 0


async def test_faults_the_bot_recovers_from_are_not_logged_as_errors(tg, engine, log_path, caplog):
    """Issue 14.9: python-telegram-bot logged an ERROR with a traceback for every 429 and every
    malformed or HTML (502) body, although the bot went on and delivered the answer."""
    caplog.set_level(logging.INFO)
    tg.fake.fault("getUpdates", "502")
    tg.fake.fault("getUpdates", "badjson")
    tg.fake.fault("sendMessage", "429", retry_after=1)
    async with running(tg, new_service(engine, log_path)):
        tg.ask(1, "Tôi có được ra ngoài không?")
        [row] = await tg.fake.wait_for(complete(log_path, 1))
    assert row["delivered"] == 1 and row["attempts"] == 2 and tg.fake.faults_left() == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [f"{r.name}: {r.getMessage()}" for r in errors]
    assert "polling failed" in caplog.text  # what happened is still said, once, as a warning
    assert json.loads(row["citations"])
