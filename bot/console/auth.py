"""Sessions, CSRF tokens and roles for the console's pages.

The session cookie (signed by Starlette's SessionMiddleware, HttpOnly, SameSite=Strict, Secure
behind HTTPS) carries only a random session id and the CSRF token; the session itself lives in
the accounts file, so logging out, a new password or a removed account ends it at once. Every
POST must carry the session's CSRF token in the form field `csrf`.
"""
from __future__ import annotations

import functools
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.officials import Official

log = logging.getLogger(__name__)

COOKIE = "rulebot_console"
MAX_FIELDS = 100
NOT_SAVED = ("Máy chủ đang bận hoặc không ghi được dữ liệu, nên việc vừa làm chưa được lưu. "
             "Hãy quay lại và thử lại sau ít phút; nếu vẫn không được, hãy báo quản trị viên.")
NOT_READ = "Máy chủ đang bận, chưa mở được trang này. Hãy thử lại sau ít phút."


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form) -> bool:
    expected = request.session.get("csrf") or ""
    given = form.get("csrf") or ""
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected, given)


async def current(request: Request) -> Official | None:
    console = request.app.state.console
    return await run_in_threadpool(console.officials.session, request.session.get("sid") or "")


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", [])
    request.session["flash"] = request.session["flash"][-4:] + [[kind, message]]


def record_done(console, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """The audit line of a change already stored. If the accounts file cannot take it, the change
    still stands and the page must say so: the line goes to the server's log instead of raising."""
    try:
        console.officials.record(actor, action, target, detail)
    except sqlite3.Error:
        log.exception("audit line not written: actor=%s action=%s target=%s detail=%s", actor, action, target, detail)


def safe_next(value: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/review"


Handler = Callable[..., Awaitable[Response]]


def page(role: str = "reviewer", files: int = 0, max_bytes: int | None = None) -> Callable[[Handler], Handler]:
    """Guard a console endpoint: a live session with at least `role`, and for a POST the CSRF
    token. The handler gets (request, official) for GET and (request, official, form) for POST.
    A POST may carry `files` uploaded files; one declaring more than `max_bytes` is refused
    before it is read. A database or file that cannot be read or written (locked, full, failing)
    gets a polite 503, not a 500: each change is written in one step, so nothing was stored
    (a handler that writes more than once says itself what was)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                return await guarded(request)
            except (sqlite3.Error, OSError):
                log.exception("console %s %s: a store could not be read or written", request.method,
                              request.url.path)
                return request.app.state.refuse(request, 503, NOT_SAVED if request.method == "POST" else NOT_READ)

        async def guarded(request: Request) -> Response:
            refuse = request.app.state.refuse  # the error page, set by create_app (views renders it)
            who = await current(request)
            if request.method == "POST":
                if max_bytes is not None and _declared(request) > max_bytes:
                    return refuse(request, 413, f"Tệp lớn quá (tối đa {max_bytes // (1024 * 1024)} MB).")
                form = await request.form(max_files=files, max_fields=MAX_FIELDS)
                if who is None:
                    return refuse(request, 403, "Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.")
                if not csrf_ok(request, form):
                    return refuse(request, 403, "Biểu mẫu đã cũ hoặc không hợp lệ. Hãy tải lại trang rồi thử lại.")
            elif who is None:
                return RedirectResponse(f"/login?next={quote(request.url.path + ('?' + request.url.query if request.url.query else ''))}",
                                        status_code=303)
            if not who.can(role):
                return refuse(request, 403, "Tài khoản của bạn không có quyền làm việc này.")
            request.state.official = who
            if request.method == "POST":
                return await handler(request, who, form)
            return await handler(request, who)

        endpoint.required_role = role  # the tests walk the routes and check each guard
        return endpoint

    return wrap


def _declared(request: Request) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0
