"""The console's pages: login, review queue, one exchange, verdicts, FAQ, index, dashboard,
accounts and audit trail. Plain server-rendered HTML; no page needs JavaScript."""
from __future__ import annotations

import html
import logging
import math
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.officials import ROLES, OfficialsError
from retrieval.answer import check_question
from retrieval.text import normalise

from . import documents as docpages
from . import stats
from .auth import csrf_ok, csrf_token, current, flash, page, record_done, safe_next
from .exchanges import VN, QueueFilter
from .faq_lines import FaqLineError
from .lapsed import lapses, short_names
from .reviews import NEEDS_CLAUSE, VERDICTS, Clause, ReviewError, resolve_clause

log = logging.getLogger(__name__)

ROLE_NAMES = {"reviewer": "Người duyệt", "editor": "Biên tập viên", "admin": "Quản trị viên"}
STATUS_NAMES = {"answered": "Đã trả lời", "no_match": "Từ chối", "invalid": "Không phải câu hỏi",
                "error": "Lỗi", "received": "Chưa xong"}
CONTEXT_CHARS = 220  # document text shown around a cited clause
SEARCH_RESULTS = 6
NO_EXCHANGE = "Không có trao đổi này trong nhật ký."  # an exchange id that is not in the log
LOGIN_FAILED = ("Không đăng nhập được: sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang tạm khoá "
                "15 phút sau 5 lần nhập sai liên tiếp.")


# --- rendering helpers ----------------------------------------------------------------------

def render(request: Request, name: str, status: int = 200, **ctx) -> Response:
    console = request.app.state.console
    flashes = request.session.pop("flash", []) if "session" in request.scope else []
    who = getattr(request.state, "official", None)
    return console.templates.TemplateResponse(request, name, {
        "who": who, "csrf": csrf_token(request), "flashes": flashes, "ROLE_NAMES": ROLE_NAMES,
        "STATUS_NAMES": STATUS_NAMES, "VERDICTS": VERDICTS, "path": request.url.path, **ctx},
        status_code=status)


def refuse(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, message=message, code=status)


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def install_filters(templates) -> None:
    env = templates.env
    env.filters["vntime"] = vn_time
    env.filters["vndate"] = lambda d: d.strftime("%d/%m/%Y") if d else "không rõ ngày"
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.0f}%"
    env.filters["signed"] = lambda x: "–" if x is None else f"{x:+.3f}"
    env.filters["ms"] = lambda x: "–" if x is None else f"{x:,.0f} ms".replace(",", ".")


def vn_time(value, seconds: bool = False) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M" + (":%S" if seconds else ""))


class _TelegramHTML(HTMLParser):
    """Telegram's HTML reply, re-emitted with only its formatting tags, without attributes."""

    KEEP = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    BLOCK = {"blockquote", "pre"}  # Telegram puts no blank line around these; pre-wrap would

    def handle_starttag(self, tag, attrs):
        if tag in self.KEEP:
            if tag in self.BLOCK and self.out and self.out[-1].endswith("\n"):
                self.out[-1] = self.out[-1][:-1]
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag in self.KEEP:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if self.out and self.out[-1] in ("</blockquote>", "</pre>") and data.startswith("\n"):
            data = data[1:]
        self.out.append(html.escape(data, quote=False))


def reply_html(reply: str, channel: str) -> Markup:
    """The reply as the resident saw it: Telegram's formatting kept, every other byte escaped."""
    if channel == "telegram":
        p = _TelegramHTML()
        p.feed(reply)
        p.close()
        return Markup("".join(p.out))
    return Markup(html.escape(reply, quote=False))


class SecurityHeaders:
    """No framing, no sniffing, no caching of pages, no script at all (the console has none)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_(message):
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("X-Content-Type-Options", "nosniff")
                h.setdefault("X-Frame-Options", "DENY")
                h.setdefault("Referrer-Policy", "same-origin")
                if h.get("content-type", "").startswith("text/html"):
                    h.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                 "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
                    h.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_)


# --- login ----------------------------------------------------------------------------------

async def healthz(request: Request) -> Response:
    console = request.app.state.console
    state = console.rebuilder.state if console.rebuilder else None
    manifest = getattr(console.holder.engine.index, "manifest", {}) or {}
    return JSONResponse({"ok": True, "index_built_at": manifest.get("built_at"),
                         "rebuild": state.phase if state else None})


@page()
async def home(request: Request, who) -> Response:
    return back("/review")


async def login_form(request: Request) -> Response:
    if await current(request):
        return back(safe_next(request.query_params.get("next")))
    return render(request, "login.html", next=safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    console = request.app.state.console
    form = await request.form(max_files=0, max_fields=10)
    nxt = safe_next(form.get("next"))
    if not csrf_ok(request, form):
        return render(request, "login.html", status=403, next=nxt,
                      error="Biểu mẫu đã cũ. Hãy thử đăng nhập lại.")
    name = str(form.get("username") or "").strip().lower()
    password = str(form.get("password") or "")
    if not name or not password or len(name) > 64 or len(password) > 1024:
        return render(request, "login.html", status=400, next=nxt, username=name[:64],
                      error="Hãy nhập tên đăng nhập và mật khẩu.")
    result = await run_in_threadpool(console.officials.login, name, password)
    if result.official is None:
        return render(request, "login.html", status=401, next=nxt, username=name, error=LOGIN_FAILED)
    sid = await run_in_threadpool(console.officials.open_session, result.official.name)
    request.session.clear()  # a fresh session: nothing carried over from before the login
    request.session.update({"sid": sid, "csrf": secrets.token_urlsafe(32)})
    return back(nxt)


@page()
async def logout(request: Request, who, form) -> Response:
    console = request.app.state.console
    await run_in_threadpool(console.officials.close_session, request.session.get("sid", ""))
    record_done(console, who.name, "logout")
    request.session.clear()
    return back("/login")


# --- review queue -----------------------------------------------------------------------------

def parse_filter(params) -> QueueFilter:
    def day(key):
        try:
            return date.fromisoformat(params.get(key, ""))
        except ValueError:
            return None

    def num(key):
        try:
            x = float(params.get(key, "").replace(",", "."))
        except ValueError:
            return None
        return x if math.isfinite(x) else None

    def choice(key, allowed):
        v = params.get(key, "")
        return v if v in allowed else ""

    try:
        page_no = max(1, int(params.get("page", "1")))
    except ValueError:
        page_no = 1
    return QueueFilter(
        status=choice("status", ("unreviewed", "reviewed", "disagree", "lapsed")), channel=params.get("channel", "")[:32],
        date_from=day("from"), date_to=day("to"),
        outcome=choice("outcome", ("answered", "abstained", "invalid", "error")),
        feedback=choice("feedback", ("down", "up", "none")), conf_min=num("cmin"), conf_max=num("cmax"),
        q=params.get("q", "")[:200], order="newest" if params.get("order") == "newest" else "look", page=page_no)


@page()
async def queue(request: Request, who) -> Response:
    console = request.app.state.console
    f = parse_filter(request.query_params)

    def load():
        console.reviews.sync_search(console.reader)
        ids = console.reviews.search(f.q) if f.q.strip() else None
        return console.reader.queue(f, ids)

    q = await run_in_threadpool(load)
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}

    def link(n: int) -> str:
        return "/review?" + urlencode({**params, "page": n})

    names = short_names({sid for x in q.rows for sid in (*x.lapsed, *x.lapsed_reviewed)},
                        console.holder.engine.index.sources)
    return render(request, "queue.html", queue=q, f=f, link=link, params=params, names=names)


# --- one exchange -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CitedClause:
    chunk_id: str
    score: float | None
    source: object | None  # retrieval.types.Source
    location: str
    before: str
    quote: str
    after: str
    start: int
    end: int


@dataclass(frozen=True)
class Candidate:
    pick: str
    source: object
    location: str
    text: str
    score: float
    confident: bool


def cited_clauses(console, x) -> list[CitedClause | str]:
    """Each citation shown in its document. A quote may be several overlapping windows joined
    (the log keeps the first one's id): following windows whose text the reply holds are added."""
    index = console.holder.engine.index
    pos = console.chunk_positions()
    reply = normalise(x.reply)
    out: list[CitedClause | str] = []
    for c in x.citations:
        cid = str(c.get("chunk_id", ""))
        i = pos.get(cid)
        if i is None:
            out.append(cid)
            continue
        chunk = index.chunks[i]
        text = index.texts.get(chunk.source_id, "")
        start, end = c.get("start", chunk.start), c.get("end", chunk.end)
        if "end" not in c:
            j = i + 1
            while j < len(index.chunks) and index.chunks[j].source_id == chunk.source_id \
                    and index.chunks[j].start < end and normalise(index.chunks[j].text) in reply:
                end = max(end, index.chunks[j].end)
                j += 1
        out.append(_in_context(text, start, end, cid, c.get("score"), index.sources.get(chunk.source_id),
                               chunk.location))
    return out


def _in_context(text: str, start: int, end: int, cid: str, score, source, location: str) -> CitedClause:
    a = max(0, start - CONTEXT_CHARS)
    b = min(len(text), end + CONTEXT_CHARS)
    if a > 0:
        a = text.find(" ", a, start) + 1 or a
    if b < len(text):
        b = text.rfind(" ", end, b) if text.rfind(" ", end, b) > end else b
    before = ("… " if a > 0 else "") + text[a:start]
    after = text[end:b] + (" …" if b < len(text) else "")
    return CitedClause(cid, score, source, location, before, text[start:end], after, start, end)


def search_clauses(engine, q: str) -> list[Candidate]:
    if check_question(q):
        return []
    result = engine.search(q, k=SEARCH_RESULTS)
    index = engine.index
    return [Candidate(f"{h.chunk.source_id}|{h.chunk.start}|{h.chunk.end}", index.sources.get(h.chunk.source_id),
                      h.chunk.location, h.chunk.text, h.score, h.confident) for h in result.hits]


@page()
async def exchange(request: Request, who) -> Response:
    console = request.app.state.console
    xid = request.path_params["xid"]
    x = await run_in_threadpool(console.reader.get, xid)
    if x is None:
        return refuse(request, 404, NO_EXCHANGE)
    q = request.query_params.get("q", x.question)[:500]
    engine = console.holder.engine
    try:
        candidates = await run_in_threadpool(search_clauses, engine, q) if q.strip() else []
        search_error = None
    except Exception:
        log.exception("clause search failed")
        candidates, search_error = [], "Chưa tìm được lúc này; hãy thử lại, hoặc dán đoạn văn ở dưới."
    current = console.reviews.current(xid).get(xid, [])
    sources = sorted(engine.index.sources.values(), key=lambda s: (s.date or date.min), reverse=True)
    lapsed = await run_in_threadpool(lapses, x, console.desk.store, engine.index.sources) if console.desk else []
    return render(request, "exchange.html", x=x, reply=reply_html(x.reply, x.channel), cited=cited_clauses(console, x),
                  lapses=lapsed,
                  titles={s.id: s for s in sources},
                  current=current, disagree=len({v.key for v in current}) > 1,
                  history=console.reviews.history(xid), comments=console.reviews.comments(xid),
                  q=q, candidates=candidates, search_error=search_error, sources=sources,
                  kinds=allowed_verdicts(x), needs_clause=NEEDS_CLAUSE,
                  promotable=[v for v in current if v.verdict in NEEDS_CLAUSE and v.clause],
                  can_edit=who.can("editor"))


def allowed_verdicts(x) -> list[str]:
    kinds = ["correct"]
    if x.status == "answered":
        kinds += ["wrong", "should_abstain"]
    elif x.status == "no_match":
        kinds += ["should_answer"]
    else:
        kinds += ["should_answer"]
    return kinds + ["outdated"]


def main_clause(console, x) -> Clause | None:
    """What *đúng* on an answer vouches for: the clause the bot quoted first, as in the index."""
    if not x.citations:
        return None
    first = cited_clauses(console, replace(x, citations=x.citations[:1]))[0]
    if isinstance(first, str):
        return None
    return Clause(first.source.id, first.quote, first.start, first.end)


@page()
async def verdict(request: Request, who, form) -> Response:
    console = request.app.state.console
    xid = request.path_params["xid"]
    x = console.reader.get(xid)
    if x is None:
        return refuse(request, 404, NO_EXCHANGE)
    kind = str(form.get("verdict") or "")
    try:
        if kind not in allowed_verdicts(x):
            raise ReviewError("Hãy chọn một đánh giá phù hợp với câu trả lời này.")
        clause = None
        if kind in NEEDS_CLAUSE:
            texts = console.holder.engine.index.texts
            clause = resolve_clause(texts, pick=str(form.get("pick") or ""),
                                    source_id=str(form.get("source_id") or ""), span=str(form.get("span") or ""))
        elif kind == "correct" and x.status == "answered":
            clause = main_clause(console, x)
        v = console.reviews.judge(xid, who.name, kind, clause, str(form.get("comment") or ""))
    except ReviewError as e:
        flash(request, str(e), "error")
        return back(f"/review/{xid}#judge")
    record_done(console, who.name, "review.verdict", xid,
                kind + (f" {clause.source_id}@{clause.start}-{clause.end}" if clause else ""))
    flash(request, f"Đã lưu đánh giá “{v.label}”." + (" Trao đổi đã ra khỏi danh sách “Nguồn đã hết hiệu lực”."
                                                      if x.lapsed else ""))
    return back(f"/review/{xid}#verdicts")


@page()
async def comment(request: Request, who, form) -> Response:
    console = request.app.state.console
    xid = request.path_params["xid"]
    if console.reader.get(xid) is None:
        return refuse(request, 404, NO_EXCHANGE)
    try:
        c = console.reviews.comment(xid, who.name, str(form.get("text") or ""))
    except ReviewError as e:
        flash(request, str(e), "error")
        return back(f"/review/{xid}#comments")
    record_done(console, who.name, "review.comment", xid, f"comment {c.id}")
    flash(request, "Đã thêm bình luận.")
    return back(f"/review/{xid}#comments")


@page("editor")
async def promote(request: Request, who, form) -> Response:
    console = request.app.state.console
    xid = request.path_params["xid"]
    x = console.reader.get(xid)
    if x is None:
        return refuse(request, 404, NO_EXCHANGE)
    if console.faq is None:
        flash(request, "Máy chủ chưa cấu hình tệp FAQ của cán bộ (RULEBOT_OFFICIALS_FAQ).", "error")
        return back(f"/review/{xid}")
    try:
        v = console.reviews.get(int(str(form.get("verdict_id") or "0")))
    except ValueError:
        v = None
    if v is None or v.exchange_id != xid or v.verdict not in NEEDS_CLAUSE or v.clause is None:
        flash(request, "Chỉ đưa vào FAQ được đánh giá “sai” hoặc “lẽ ra phải trả lời” có chọn đoạn đúng.", "error")
        return back(f"/review/{xid}")
    question = str(form.get("question") or x.question)
    try:
        line = await run_in_threadpool(console.reviews.mark_promoted, v.id, who.name, lambda: console.faq.add(
            v.clause.source_id, v.clause.span, question, who.name, xid))
    except FaqLineError as e:
        flash(request, str(e), "error")
        return back(f"/review/{xid}#promote")
    record_done(console, who.name, "faq.add", xid, f"line {line.number}, verdict {v.id}")
    _rebuild(request, who, f"Đã thêm câu hỏi vào FAQ (dòng {line.number}).")
    return back("/index")


def _rebuild(request: Request, who, done: str) -> None:
    console = request.app.state.console
    if console.rebuilder is None:
        flash(request, done + " Máy chủ này không tự xây lại chỉ mục; hãy chạy: rulebot index", "error")
        return
    state = console.rebuilder.request(who.name)
    record_done(console, who.name, "index.rebuild", None, "queued after a running build" if state.pending else None)
    flash(request, done + " Đang xây lại chỉ mục; bot dùng chỉ mục mới ngay khi xong, không cần khởi động lại.")


# --- documents --------------------------------------------------------------------------------

@page()
async def document(request: Request, who) -> Response:
    console = request.app.state.console
    sid = request.path_params["sid"]
    index = console.holder.engine.index
    source, text = index.sources.get(sid), index.texts.get(sid)
    if source is None or text is None:
        return refuse(request, 404, "Không có văn bản này.")
    try:
        start, end = int(request.query_params.get("start", "")), int(request.query_params.get("end", ""))
        if not 0 <= start < end <= len(text):
            raise ValueError
    except ValueError:
        start = end = 0
    return render(request, "document.html", source=source, before=text[:start] if end else text,
                  mark=text[start:end] if end else "", after=text[end:] if end else "")


# --- FAQ and index -------------------------------------------------------------------------------

@page("editor")
async def faq_page(request: Request, who) -> Response:
    console = request.app.state.console
    try:
        lines = console.faq.lines() if console.faq else []
        error = None
    except FaqLineError as e:
        lines, error = [], str(e)
    sources = console.holder.engine.index.sources
    return render(request, "faq.html", lines=lines, error=error, sources=sources,
                  state=console.rebuilder.state if console.rebuilder else None,
                  path_shown=str(console.faq.path) if console.faq else None)


@page("editor")
async def faq_remove(request: Request, who, form) -> Response:
    console = request.app.state.console
    if console.faq is None:
        return back("/faq")
    try:
        number = int(str(form.get("line") or "0"))
        question = form.get("question")
        removed = await run_in_threadpool(console.faq.remove, number, str(question) if question else None)
    except (ValueError, FaqLineError) as e:
        flash(request, str(e) if isinstance(e, FaqLineError) else "Không có dòng FAQ này.", "error")
        return back("/faq")
    record_done(console, who.name, "faq.remove", f"line {number}",
                f"{removed.source_id}: {'one question' if question else 'whole line'}")
    _rebuild(request, who, "Đã xoá khỏi FAQ.")
    return back("/faq")


@page()
async def index_page(request: Request, who) -> Response:
    console = request.app.state.console
    state = console.rebuilder.state if console.rebuilder else None
    manifest = getattr(console.holder.engine.index, "manifest", {}) or {}
    return render(request, "index.html", state=state, manifest=manifest,
                  generation=getattr(console.holder, "generation", 0), can_edit=who.can("editor"))


@page("editor")
async def rebuild(request: Request, who, form) -> Response:
    _rebuild(request, who, "Đã yêu cầu xây lại chỉ mục.")
    return back("/index")


# --- dashboard ------------------------------------------------------------------------------------

@page()
async def dashboard(request: Request, who) -> Response:
    console = request.app.state.console

    def load():
        xs = console.reader.all()
        current = console.reviews.current()
        overall, weeks = stats.accuracy(xs, current)
        return dict(days=stats.days(xs, set(current)), overall=overall, weeks=weeks,
                    groups=stats.unanswered_groups(xs), total=len(xs), reviewed=sum(x.id in current for x in xs),
                    answered=sum(x.status == "answered" for x in xs), abstained=sum(x.status == "no_match" for x in xs),
                    up=sum(x.up for x in xs), down=sum(x.down for x in xs))

    data = await run_in_threadpool(load)
    peak = max((d.questions for d in data["days"]), default=1)
    return render(request, "dashboard.html", peak=peak, **data)


# --- accounts ------------------------------------------------------------------------------------

@page("admin")
async def accounts(request: Request, who) -> Response:
    console = request.app.state.console
    now = datetime.now(timezone.utc).isoformat()
    return render(request, "accounts.html", officials=console.officials.list(), roles=ROLES, now=now)


@page("admin")
async def account_add(request: Request, who, form) -> Response:
    console = request.app.state.console
    name = str(form.get("name") or "").strip().lower()
    try:
        await run_in_threadpool(console.officials.add, name, str(form.get("role") or ""),
                                str(form.get("password") or ""), who.name)
    except OfficialsError as e:
        flash(request, e.vi, "error")
        return back("/accounts")
    flash(request, f"Đã tạo tài khoản “{name}”.")
    return back("/accounts")


@page("admin")
async def account_change(request: Request, who, form) -> Response:
    console = request.app.state.console
    name, action = str(form.get("name") or ""), str(form.get("action") or "")
    o = console.officials
    try:
        if action == "role":
            o.set_role(name, str(form.get("role") or ""), who.name)
            done = f"Đã đổi vai trò của “{name}”."
        elif action == "passwd":
            await run_in_threadpool(o.passwd, name, str(form.get("password") or ""), who.name)
            done = f"Đã đặt mật khẩu mới cho “{name}”; các phiên đăng nhập cũ của người này đã kết thúc."
        elif action == "unlock":
            o.unlock(name, who.name)
            done = f"Đã mở khoá “{name}”."
        elif action == "remove":
            if form.get("confirm") != name:
                raise OfficialsError("not confirmed", f"Để xoá, hãy gõ lại đúng tên “{name}” vào ô xác nhận.")
            o.remove(name, who.name)
            done = f"Đã xoá tài khoản “{name}”."
        else:
            raise OfficialsError("unknown action", "Thao tác không hợp lệ.")
    except OfficialsError as e:
        flash(request, e.vi, "error")
        return back("/accounts")
    flash(request, done)
    return back("/accounts")


@page("admin")
async def audit(request: Request, who) -> Response:
    console = request.app.state.console
    actor = request.query_params.get("actor") or None
    return render(request, "audit.html", rows=console.officials.audit(limit=500, actor=actor), actor=actor)


@page()
async def me(request: Request, who) -> Response:
    return render(request, "me.html")


@page()
async def me_password(request: Request, who, form) -> Response:
    console = request.app.state.console
    check = await run_in_threadpool(console.officials.login, who.name, str(form.get("current") or ""))
    if check.official is None:
        flash(request, "Mật khẩu hiện tại không đúng.", "error")
        return back("/me")
    if form.get("new") != form.get("again"):
        flash(request, "Hai lần nhập mật khẩu mới không khớp.", "error")
        return back("/me")
    try:
        await run_in_threadpool(console.officials.passwd, who.name, str(form.get("new") or ""), who.name)
    except OfficialsError as e:
        flash(request, e.vi, "error")
        return back("/me")
    request.session.clear()
    return back("/login")


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/review", queue),
        Route("/review/{xid}", exchange),
        Route("/review/{xid}/verdict", verdict, methods=["POST"]),
        Route("/review/{xid}/comment", comment, methods=["POST"]),
        Route("/review/{xid}/promote", promote, methods=["POST"]),
        Route("/documents", docpages.documents_list),
        Route("/documents/new", docpages.document_new, methods=["GET"]),
        Route("/documents/new", docpages.document_preview, methods=["POST"]),
        Route("/documents/publish", docpages.document_publish, methods=["POST"]),
        Route("/documents/{sid}", docpages.document_detail),
        Route("/documents/{sid}/text", document),
        Route("/documents/{sid}/retire", docpages.document_retire, methods=["POST"]),
        Route("/documents/{sid}/remove", docpages.document_remove, methods=["POST"]),
        Route("/dashboard", dashboard),
        Route("/faq", faq_page),
        Route("/faq/remove", faq_remove, methods=["POST"]),
        Route("/index", index_page),
        Route("/index/rebuild", rebuild, methods=["POST"]),
        Route("/accounts", accounts),
        Route("/accounts/add", account_add, methods=["POST"]),
        Route("/accounts/change", account_change, methods=["POST"]),
        Route("/audit", audit),
        Route("/me", me),
        Route("/me/password", me_password, methods=["POST"]),
    ]
