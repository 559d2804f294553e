"""The officials' console over HTTP (Starlette's TestClient, a fake engine, temporary files)."""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from console_fakes import PASSWORD, csrf_of, logged_in, login, rig
from markupsafe import escape
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.officials import ROLES

SAMPLE = {"sid": "x", "xid": "0"}


def _console_routes(app):
    """(method, path, required role) of every console endpoint, paths filled with samples."""
    out = []
    for route in app.routes:
        if not isinstance(route, Route) or route.path in ("/login", "/healthz"):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], route.path)
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, path, getattr(route.endpoint, "required_role", None)))
    return out


def test_every_page_but_login_and_healthz_refuses_without_a_session(tmp_path):
    r = rig(tmp_path)
    r.ask("Chốt kiểm dịch có trực cả đêm không?")
    c = r.client()
    routes = _console_routes(r.app)
    assert len(routes) > 15
    for method, path, role in routes:
        assert role in ROLES, f"{method} {path} has no guard"
        resp = c.request(method, path, data={"csrf": "whatever"})
        if method == "GET":
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next="), path
        else:
            assert resp.status_code == 403, path
        assert "Hàng chờ duyệt" not in resp.text and "Đăng xuất" not in resp.text
    assert c.get("/login").status_code == 200
    health = c.get("/healthz")
    assert health.status_code == 200 and health.json()["ok"] is True


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có trực cả đêm không?")
    c = r.client()
    assert c.post("/login", data={"username": "rita", "password": PASSWORD}).status_code == 403
    assert c.get("/review").status_code == 303  # the login did not happen
    c = logged_in(r, "rita")
    for data in ({"verdict": "correct"}, {"verdict": "correct", "csrf": "forged"}):
        resp = c.post(f"/review/{ex.id}/verdict", data=data)
        assert resp.status_code == 403
    resp = c.post(f"/review/{ex.id}/comment", data={"text": "hello"})
    assert resp.status_code == 403
    con = sqlite3.connect(tmp_path / "log.db")
    assert con.execute("select count(*) from verdicts").fetchone()[0] == 0
    assert con.execute("select count(*) from comments").fetchone()[0] == 0
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    assert c.post(f"/review/{ex.id}/verdict", data={"verdict": "correct", "csrf": token}).status_code == 303
    assert con.execute("select count(*) from verdicts").fetchone()[0] == 1


def test_the_sixth_wrong_password_is_refused_even_when_right_until_the_lockout_ends(tmp_path):
    now = [datetime(2021, 8, 1, 9, 0, tzinfo=timezone.utc)]
    r = rig(tmp_path, clock=lambda: now[0])
    c = r.client()
    for _ in range(5):
        assert login(c, "rita", "wrong password!").status_code == 401
    assert login(c, "rita", PASSWORD).status_code == 401  # the sixth try, with the right password
    assert c.get("/review").status_code == 303
    now[0] += timedelta(minutes=14)
    assert login(c, "rita", PASSWORD).status_code == 401
    now[0] += timedelta(minutes=2)
    assert login(c, "rita", PASSWORD).status_code == 303
    assert c.get("/review").status_code == 200
    actions = [a["action"] for a in r.officials.audit(actor="rita")][::-1]
    assert actions == ["login.failed"] * 5 + ["login.locked", "login.locked", "login.ok"]


def test_wrong_passwords_and_unknown_names_get_the_same_answer(tmp_path):
    r = rig(tmp_path)
    c = r.client()
    a, b = login(c, "rita", "not it at all"), login(c, "nobody", "not it at all")
    assert a.status_code == b.status_code == 401
    def strip(t):  # the name typed is echoed back in the form
        return re.sub(r'value="[^"]*"', "", t)

    assert strip(a.text) == strip(b.text)


def test_a_reviewer_cannot_reach_editor_or_admin_actions(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("giá vàng hôm nay bao nhiêu")
    c = logged_in(r, "rita")
    token = csrf_of(c.get("/review").text)
    higher = [(m, p) for m, p, role in _console_routes(r.app) if role in ("editor", "admin")]
    assert {"/faq", "/faq/remove", "/index/rebuild", "/accounts", "/accounts/add", "/accounts/change",
            "/audit", f"/review/{SAMPLE['xid']}/promote"} <= {p for _, p in higher}
    for method, path in higher:
        resp = c.request(method, path.replace(SAMPLE["xid"], ex.id), data={
            "csrf": token, "name": "mallory", "role": "admin", "password": PASSWORD, "action": "role", "line": "1"})
        assert resp.status_code == 403, path
        assert "không có quyền" in resp.text
    assert r.officials.get("mallory") is None and r.officials.get("rita").role == "reviewer"
    assert not (tmp_path / "faq-officials.jsonl").exists()
    assert r.rebuilder.state.phase == "idle"
    page = c.get(f"/review/{ex.id}").text
    assert "/accounts" not in page and "/faq" not in page  # not offered either


def test_an_editor_edits_the_faq_but_cannot_manage_accounts(tmp_path):
    r = rig(tmp_path)
    c = logged_in(r, "eddie")
    assert c.get("/faq").status_code == 200
    assert c.get("/accounts").status_code == 403
    assert c.get("/audit").status_code == 403


def test_session_cookie_is_httponly_samesite_strict_and_secure_behind_https(tmp_path):
    r = rig(tmp_path)
    cookie = login(r.client(), "rita").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower() and "secure" not in cookie.lower()
    r2 = rig(tmp_path / "https", https=True)
    c = r2.client(base_url="https://testserver")
    cookie = login(c, "rita").headers["set-cookie"]
    assert "secure" in cookie.lower() and "samesite=strict" in cookie.lower()


def test_logging_out_ends_the_session_even_for_a_copied_cookie(tmp_path):
    r = rig(tmp_path)
    c = logged_in(r, "rita")
    stolen = dict(c.cookies)
    token = csrf_of(c.get("/review").text)
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    thief = r.client(cookies=stolen)
    assert thief.get("/review").status_code == 303


def test_a_new_password_ends_the_accounts_other_sessions(tmp_path):
    r = rig(tmp_path)
    c = logged_in(r, "rita")
    admin = logged_in(r, "ada")
    token = csrf_of(admin.get("/accounts").text)
    resp = admin.post("/accounts/change", data={"csrf": token, "name": "rita", "action": "passwd",
                                                "password": "another long password"})
    assert resp.status_code == 303
    assert c.get("/review").status_code == 303
    assert login(r.client(), "rita", "another long password").status_code == 303


def test_masked_patterns_never_reach_the_database_files(tmp_path):
    r = rig(tmp_path)
    secrets_ = ["0912 345 678", "0912345678", "+84 987 654 321", "84987654321", "001099012345",
                "012345678", "nguyen.van.a@example.com"]
    ex = r.ask("Tôi tên A, sđt 0912 345 678, CCCD 001099012345, mail nguyen.van.a@example.com, có được ra ngoài không?")
    r.ask("cmnd 012345678 goi +84 987 654 321 hoi ve cach ly")
    c = logged_in(r, "eddie")
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    c.post(f"/review/{ex.id}/comment", data={"csrf": token, "text": "Người dân để lại số 84987654321 và 0912345678"})
    clause = r.holder.engine.index.chunks[5]
    c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": "wrong",
                                             "pick": f"{clause.source_id}|{clause.start}|{clause.end}",
                                             "comment": "email nguyen.van.a@example.com"})
    vid = sqlite3.connect(tmp_path / "log.db").execute("select max(id) from verdicts").fetchone()[0]
    resp = c.post(f"/review/{ex.id}/promote", data={"csrf": token, "verdict_id": vid,
                                                    "question": "sđt 0912 345 678 có được ra ngoài không?"})
    assert resp.status_code == 303
    r.rebuilder.wait(10)
    raw = r.db_bytes()
    assert raw, "nothing was written"
    for s in secrets_:
        assert s.encode() not in raw, s
    page = c.get(f"/review/{ex.id}").text
    assert "[số điện thoại]" in page and "[số CCCD/CMND]" in page and "[email]" in page


def test_wrong_then_right_clause_promoted_to_the_faq_is_answered_after_the_rebuild(tmp_path):
    """The loop with the fake engine: mark wrong, pick the clause, promote, the rebuilt engine
    answers the same question with that clause, through Service.ask."""
    r = rig(tmp_path)
    question = "đêm khuya gọi phường có ai nghe máy không"
    ex = r.ask(question)
    target = next(c for c in r.holder.engine.index.chunks if "24/24h" in c.text and "trực" in c.text)
    before = r.ask(question).answer
    assert before.main is None or before.main.chunk_id != target.id
    c = logged_in(r, "eddie")
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    kind = "should_answer" if ex.answer.abstained else "wrong"
    resp = c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": kind,
                                                    "source_id": target.source_id, "span": target.text})
    assert resp.status_code == 303
    page = c.get(f"/review/{ex.id}").text
    vid = re.search(r'name="verdict_id" value="(\d+)"', page).group(1)
    old = r.holder.engine
    resp = c.post(f"/review/{ex.id}/promote", data={"csrf": token, "verdict_id": vid, "question": question})
    assert resp.status_code == 303 and resp.headers["location"] == "/index"
    state = r.rebuilder.wait(10)
    assert state.phase == "done" and r.holder.engine is not old
    after = r.ask(question).answer
    assert after.main is not None and after.main.source.id == target.source_id and target.text in after.main.quote
    line = json.loads((tmp_path / "faq-officials.jsonl").read_text())
    assert line["ask"] == [question] and line["by"] == ["eddie"] and line["exchanges"] == [ex.id]
    assert "faq.add" in [a["action"] for a in r.officials.audit(actor="eddie")]
    assert "index.rebuild" in [a["action"] for a in r.officials.audit(actor="eddie")]


def test_a_span_not_in_the_document_is_refused_politely_and_nothing_is_stored(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("giá vàng hôm nay bao nhiêu")
    c = logged_in(r, "rita")
    token = csrf_of(c.get(f"/review/{ex.id}").text)
    sid = next(iter(r.holder.engine.index.sources))
    resp = c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": "should_answer",
                                                    "source_id": sid, "span": "câu này không có trong văn bản"})
    assert resp.status_code == 303
    assert "không có nguyên văn" in c.get(resp.headers["location"]).text
    assert sqlite3.connect(tmp_path / "log.db").execute("select count(*) from verdicts").fetchone()[0] == 0
    # A verdict that does not fit the answer (it abstained, so it cannot be "should not have answered")
    resp = c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": "should_abstain"})
    assert sqlite3.connect(tmp_path / "log.db").execute("select count(*) from verdicts").fetchone()[0] == 0


def test_disagreements_are_shown_on_the_exchange_and_in_the_queue(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    assert ex.answer.status == "answered"
    for name, verdict in (("rita", "correct"), ("eddie", "should_abstain")):
        c = logged_in(r, name)
        token = csrf_of(c.get(f"/review/{ex.id}").text)
        assert c.post(f"/review/{ex.id}/verdict", data={"csrf": token, "verdict": verdict}).status_code == 303
    page = c.get(f"/review/{ex.id}").text
    assert "đánh giá khác nhau" in page
    assert "Khác nhau" in c.get("/review?status=disagree").text
    assert ex.id in c.get("/review?status=disagree").text
    assert ex.id not in c.get("/review?status=unreviewed").text


def test_the_exchange_page_shows_the_reply_as_seen_and_the_quote_in_its_document(tmp_path):
    r = rig(tmp_path)
    ex = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    # A Telegram reply is stored as Telegram HTML; a script tag in it must come out inert.
    con = sqlite3.connect(tmp_path / "log.db")
    reply = con.execute("select reply from exchanges where id = ?", (ex.id,)).fetchone()[0]
    with con:
        con.execute("update exchanges set reply = ? where id = ?",
                    ("<b>Trả lời</b><script>alert(1)</script>\n<blockquote expandable>" + reply + "</blockquote>", ex.id))
    c = logged_in(r, "rita")
    page = c.get(f"/review/{ex.id}").text
    assert "<b>Trả lời</b>" in page and "<blockquote>" in page and "<script>" not in page
    source = r.holder.engine.index.sources[ex.answer.main.source.id]
    assert f"<mark>{escape(ex.answer.main.quote)}</mark>" in page
    assert source.title in page
    where = f"start={ex.answer.main.start}&end={ex.answer.main.end}"
    assert f'href="/documents/{source.id}/text?{where.replace("&", "&amp;")}' in page
    doc = c.get(f"/documents/{source.id}/text?{where}").text
    assert '<mark id="hl">' in doc
    old = c.get(f"/documents/{source.id}?{where}")  # the address this view had before the document pages
    assert old.status_code == 303 and old.headers["location"] == f"/documents/{source.id}/text?{where}"


def test_queue_filters_search_and_a_confidence_column_when_the_log_has_one(tmp_path):
    r = rig(tmp_path)
    a = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?", channel="zalo")
    b = r.ask("giá vàng hôm nay bao nhiêu")
    r.log.feedback(b.id, "telegram", 1, "down")
    c = logged_in(r, "rita")
    assert a.id in c.get("/review").text and b.id in c.get("/review").text

    def only(url):
        return {x for x in (a.id, b.id) if x in c.get(url).text}

    assert only("/review?channel=zalo") == {a.id}
    assert only("/review?outcome=abstained") == {b.id}
    assert only("/review?feedback=down") == {b.id}
    assert only("/review?q=gia+vang") == {b.id}  # without diacritics
    assert only("/review?q=phuong+tie") == {a.id}  # the last word as a prefix
    today = datetime.now(timezone(timedelta(hours=7))).date()
    assert only(f"/review?from={today}&to={today}") == {a.id, b.id}
    assert only(f"/review?from={today + timedelta(days=1)}") == set()
    con = sqlite3.connect(tmp_path / "log.db")
    with con:  # the answer's margin over the abstention bar, as the bot logs it
        con.execute("update exchanges set confidence = ? where id = ?", (0.2, a.id))
        con.execute("update exchanges set confidence = ? where id = ?", (-0.01, b.id))
    page = c.get("/review").text
    assert "Độ chắc từ" in page and "-0.010" in page
    assert only("/review?cmin=0.1") == {a.id}
    # needs a look first: the 👎 one, close to the bar and abstained, before the other
    assert page.index(b.id) < page.index(a.id)


def test_extra_routes_are_mounted_outside_the_console_guard(tmp_path):
    async def hook(request):
        return PlainTextResponse("webhook", status_code=200 if request.headers.get("x-secret") == "s" else 403)

    r = rig(tmp_path, extra_routes=[Route("/telegram", hook, methods=["POST"])])
    c = r.client()
    assert c.post("/telegram", headers={"x-secret": "s"}).text == "webhook"
    assert c.post("/telegram").status_code == 403


def test_an_admin_manages_accounts_from_the_console(tmp_path):
    r = rig(tmp_path)
    c = logged_in(r, "ada")
    token = csrf_of(c.get("/accounts").text)
    resp = c.post("/accounts/add", data={"csrf": token, "name": "tam", "role": "reviewer", "password": "short"})
    assert resp.status_code == 303 and r.officials.get("tam") is None
    assert "ít nhất 10 ký tự" in c.get("/accounts").text
    c.post("/accounts/add", data={"csrf": token, "name": "tam", "role": "reviewer", "password": PASSWORD})
    assert r.officials.get("tam").role == "reviewer"
    c.post("/accounts/change", data={"csrf": token, "name": "tam", "action": "remove", "confirm": "nope"})
    assert r.officials.get("tam") is not None
    c.post("/accounts/change", data={"csrf": token, "name": "tam", "action": "remove", "confirm": "tam"})
    assert r.officials.get("tam") is None
    actions = [a["action"] for a in r.officials.audit(actor="ada")]
    assert "account.add" in actions and "account.remove" in actions
    assert "account.remove" in c.get("/audit").text


def test_the_dashboard_shows_use_and_judged_accuracy(tmp_path):
    r = rig(tmp_path)
    a = r.ask("Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?")
    r.ask("giá vàng hôm nay bao nhiêu")
    r.ask("gia vang hom nay the nao")
    c = logged_in(r, "rita")
    token = csrf_of(c.get(f"/review/{a.id}").text)
    c.post(f"/review/{a.id}/verdict", data={"csrf": token, "verdict": "correct"})
    page = c.get("/dashboard").text
    assert "100%" in page and "Wilson" in page
    assert "giá vàng hôm nay bao nhiêu" in page  # the group of unanswered questions


@pytest.mark.parametrize("path", ["/login?next=//evil.example", "/login?next=https://evil.example"])
def test_login_never_redirects_off_site(tmp_path, path):
    r = rig(tmp_path)
    c = r.client()
    token = csrf_of(c.get(path).text)
    resp = c.post("/login", data={"username": "rita", "password": PASSWORD, "csrf": token,
                                  "next": path.split("next=")[1]})
    assert resp.headers["location"] == "/review"


def test_serve_mounts_the_channels_beside_the_console_and_they_follow_a_swapped_engine(tmp_path, monkeypatch):
    import contextlib

    from console_fakes import FakeEngine

    from bot.console import commands
    from bot.exchange_log import ExchangeLog
    from bot.service import Service

    monkeypatch.setenv("RULEBOT_OFFICIALS", str(tmp_path / "officials.db"))
    monkeypatch.setenv("RULEBOT_LOG", str(tmp_path / "log.db"))
    monkeypatch.setenv("RULEBOT_OFFICIALS_FAQ", str(tmp_path / "faq.jsonl"))
    monkeypatch.setattr(commands, "load_or_build", lambda index, model: FakeEngine())
    started = []

    def channels(holder):
        service = Service(holder, ExchangeLog(tmp_path / "log.db", salt="s"))

        async def telegram(request):
            if request.headers.get("x-telegram-bot-api-secret-token") != "secret":
                return PlainTextResponse("", status_code=403)
            ex = await service.ask("telegram", 1, (await request.json())["text"])
            return PlainTextResponse(ex.answer.status)

        @contextlib.asynccontextmanager
        async def lifespan(app):
            started.append("up")
            yield
            started.append("down")

        return [Route("/telegram", telegram, methods=["POST"])], lifespan

    args = argparse.Namespace(listen="127.0.0.1:8123", index=str(tmp_path / "index"), model=None)
    app, settings, holder = commands.build_app(args, channels)
    assert (settings.host, settings.port) == ("127.0.0.1", 8123)
    from starlette.testclient import TestClient

    with TestClient(app) as c:
        assert started == ["up"]
        assert c.post("/telegram", json={"text": "hỏi"}).status_code == 403
        q = "Chốt kiểm dịch có phải kiểm tra 100% người và phương tiện vào thành phố không?"
        assert c.post("/telegram", json={"text": q}, headers={"x-telegram-bot-api-secret-token": "secret"}).text == "answered"
        holder.swap(FakeEngine(bar=5.0))  # a new engine that answers nothing
        assert c.post("/telegram", json={"text": q}, headers={"x-telegram-bot-api-secret-token": "secret"}).text == "no_match"
        assert c.get("/healthz").json()["ok"] is True
        assert c.get("/review", follow_redirects=False).status_code == 303
    assert started == ["up", "down"]
