"""The console in a real Chromium (Debian's `chromium`, driven by Playwright), JavaScript off:
the pages must work as plain HTML forms.

The first test runs the whole loop of issue 15 with the real model and index: a wrong answer is
judged, the right clause is promoted to the FAQ, the index is rebuilt in the background, and the
same question asked through bot.service.Service is then answered with that clause; the verdict is
exported as gold and evaluated. The others use the fake engine.

Without chromium or Playwright these tests skip, except under CI=true, where they fail.
Set RULEBOT_CONSOLE_SCREENSHOTS=docs to save the queue and exchange screenshots there.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RULEBOT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def _browser_or_skip():
    why = None
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        why = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "Playwright is not installed (pip install playwright; its own browsers are not needed)"
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {why}")
        pytest.skip(why)


@pytest.fixture
def browser():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@contextmanager
def serving(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


def _log_in(page, base, name, password):
    page.goto(f"{base}/review")
    assert "/login" in page.url
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _shots():
    d = os.environ.get("RULEBOT_CONSOLE_SCREENSHOTS")
    return Path(d) if d else None


# --- the whole loop, real model and index ---------------------------------------------------------

QUESTION = "sống chung với covid thì thành phố tính sao"  # written for this test, not from the gold set
RIGHT = "từng bước thích ứng an toàn, linh hoạt"  # the clause an official would point to
OTHERS = [  # more residents' questions, so the queue looks like a day's log
    "dữ liệu dân cư có dùng để chống dịch không",
    "bao giờ hà nội mở cửa lại như bình thường",
    "khu cach ly tap trung con cho khong",
    "trạm y tế phường có đủ bình oxy không",
    "Tôi tên Hùng, sđt 0912 345 678, hỏi xe tải chở hàng có bị chặn lại không?",
    "giá vàng hôm nay bao nhiêu",
]


def test_the_whole_loop_from_a_wrong_answer_to_a_better_bot(browser, engine, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from console_fakes import in_thread

    from bot.console.app import create_app
    from bot.cli import main as commands
    from bot.console.settings import ConsoleSettings
    from bot.engine_holder import EngineHolder, Rebuilder
    from retrieval.evaluation.runner import evaluate_gold
    from bot.exchange_log import ExchangeLog
    from bot.officials import Officials
    from bot.render import Plain, TelegramHTML, render
    from bot.service import Service
    from retrieval.evaluation import gold

    faq_file = tmp_path / "faq-officials.jsonl"
    monkeypatch.setenv("RULEBOT_OFFICIALS_FAQ", str(faq_file))  # what the rebuild reads, via faq.curated()
    monkeypatch.setenv("RULEBOT_OFFICIALS", str(tmp_path / "officials.db"))
    holder = EngineHolder(engine)
    log = ExchangeLog(tmp_path / "log.db", salt="e2e")
    service = Service(holder, log)

    def ask(question, user, channel="telegram"):
        async def go():
            ex = await service.ask(channel, user, question)
            service.delivered(ex, render(ex.answer, TelegramHTML() if channel == "telegram" else Plain()))
            return ex
        return in_thread(lambda: asyncio.run(go()))

    for i, q in enumerate(OTHERS):
        ex = ask(q, 100 + i, "zalo" if i % 2 else "telegram")
        if i == 1:
            log.feedback(ex.id, "zalo", 100 + i, "down")
    first = ask(QUESTION, 1)
    assert first.answer.status == "answered"
    assert RIGHT not in first.answer.main.quote, "the bot already answers this right: pick another question"

    officials = Officials(tmp_path / "officials.db", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    officials.add("bien.tap", "editor", "mật khẩu đủ dài", "test")
    rebuilder = Rebuilder(holder, tmp_path / "index")
    app = create_app(ConsoleSettings(secret="e2e" * 16, index_dir=None), engine_holder=holder,
                     exchange_log_path=tmp_path / "log.db", officials=officials, officials_faq_path=faq_file,
                     rebuilder=rebuilder)
    shots = _shots()
    with serving(app) as base:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900},
                                      locale="vi-VN")
        page = context.new_page()
        _log_in(page, base, "bien.tap", "sai mật khẩu rồi")
        assert "/login" in page.url and "Không đăng nhập được" in page.content()
        page.fill("#password", "mật khẩu đủ dài")
        page.click("button[type=submit]")
        assert page.url.endswith("/review")

        # The masked number shows as masked; the logged question is in the queue.
        assert "[số điện thoại]" in page.content() and "0912 345 678" not in page.content()
        if shots:
            page.screenshot(path=str(shots / "console-queue.png"), full_page=True)
        page.click(f"text={QUESTION}")
        assert "/review/" in page.url
        assert page.locator("mark").first.inner_text() in first.answer.main.quote

        # Wrong: the right clause is found with the search box and picked.
        page.fill("#q", "kế hoạch từng bước thích ứng an toàn, linh hoạt")
        page.click("form[method=get] button")
        page.check("input[name=verdict][value=wrong]")
        choice = page.locator("label.choice", has=page.locator("input[name=pick]")).filter(has_text=RIGHT).first
        chosen = choice.locator(".doctext").inner_text()
        choice.locator("input").check()
        page.fill("#comment", "Câu hỏi về thích ứng an toàn, không phải chống dịch như chống giặc.")
        page.click("text=Lưu đánh giá")
        assert "Đã lưu đánh giá" in page.content()
        if shots:  # the exchange and the verdicts, down to the form for another verdict
            height = page.locator("#judge").bounding_box()["y"] + page.evaluate("window.scrollY")
            page.screenshot(path=str(shots / "console-exchange.png"), full_page=True,
                            clip={"x": 0, "y": 0, "width": 1200, "height": height})

        # Promote to the FAQ; the index rebuilds in the background while the bot keeps answering.
        page.click("text=Thêm vào FAQ và xây lại chỉ mục")
        assert page.url.endswith("/index")
        old = holder.engine
        during = ask(QUESTION, 2)  # a question while rebuilding is answered, by the old engine
        assert during.answer.status == "answered"
        deadline = time.monotonic() + 1800
        while "Đã dùng chỉ mục mới" not in page.content():
            assert "Xây lại chỉ mục không thành công" not in page.content(), page.content()
            assert time.monotonic() < deadline, "the rebuild did not finish"
            time.sleep(2)
            page.reload()
        assert holder.engine is not old
        context.close()

    # The same question through the channel's service is now answered with the chosen clause.
    after = ask(QUESTION, 3)
    assert after.answer.status == "answered" and RIGHT in after.answer.main.quote
    assert after.answer.main.source.id.startswith("chi-thi-08")
    assert chosen.strip()[:60] in after.answer.main.quote or after.answer.main.quote[:60] in chosen

    # Export the verdict as gold and evaluate it with the eval runner.
    out = tmp_path / "reviewed-gold.jsonl"
    assert commands(["review", "export", "--gold", str(out), "--log", str(tmp_path / "log.db")]) == 0
    questions = gold.load(out)
    assert [q.question for q in questions] == [QUESTION] and questions[0].split == "dev"
    ev = evaluate_gold(holder.engine, questions, systems=("hybrid",))
    assert ev.summary("hybrid")["recall@1"] == 1.0
    before = evaluate_gold(old, questions, systems=("hybrid",)).summary("hybrid")
    assert before["recall@1"] == 0.0  # the old index did not put the chosen clause first


# --- fake engine ------------------------------------------------------------------------------------

def test_login_wrong_then_right_and_a_phone_sized_page_without_javascript(browser, tmp_path):
    from console_fakes import PASSWORD, rig

    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    with serving(r.app) as base:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                      is_mobile=True, has_touch=True)
        page = context.new_page()
        _log_in(page, base, "rita", "not the password")
        assert "Không đăng nhập được" in page.content()
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        assert page.url.endswith("/review")
        for path in ("/review", f"/review/{ex.id}", "/dashboard", "/index", "/me"):
            page.goto(base + path)
            # (Playwright measures from outside the page; the page itself runs no script)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} is wider than a phone"
        page.goto(f"{base}/review/{ex.id}")
        page.check("input[name=verdict][value=correct]")
        page.click("text=Lưu đánh giá")
        assert "Đã lưu đánh giá" in page.content()
        page.click("text=Đăng xuất")
        assert "/login" in page.url
        page.goto(f"{base}/review")
        assert "/login" in page.url
        context.close()
