"""The console's document pages: the list with each document's standing today, one document
with its clauses, and for editors the upload → preview → publish of a new one and retiring.

Every change goes through bot/document_ops.py, the steps `rulebot documents` takes. Publishing
embeds the new clauses, so it runs as a Job of the index Rebuilder (the thread the FAQ rebuild
uses): the request returns at once, the list page shows the progress, and the engine in use is
swapped for the new generation when it is ready. Retiring touches no vector: it is written at
once and the engine in use reads the new validity.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import document_ops as ops
from bot.engine_holder import Job, JobError
from bot.validity_text import name as doc_name
from retrieval.corpus import CorpusError
from retrieval.documents import DocumentError, NewDocument, Store
from retrieval.validity import KINDS, status

from .auth import flash, page, record_done
from .uploads import MAX_BYTES, UploadError, Uploads

log = logging.getLogger(__name__)
# The document change stands; only the queue of answers to re-check could not be written.
NOT_QUEUED = ("; nhưng nhật ký đang bận nên chưa đưa được các câu trả lời gần đây {what} vào hàng chờ "
              "duyệt lại (máy chủ đã ghi lại mã văn bản; hãy báo quản trị viên)")

CLAUSES_SHOWN = 40
FIELD_MAX = 300
KIND_NAMES = {"directive": "Chỉ thị", "decision": "Quyết định", "letter": "Công văn, thông báo",
              "report": "Tin báo chí"}
FIELD_NAMES = {"title": "tên văn bản", "issuer": "cơ quan ban hành", "signed": "ngày ký",
               "effective_from": "ngày có hiệu lực", "effective_until": "ngày hết hiệu lực", "number": "số hiệu"}
FIELDS = ("title", "number", "issuer", "signed", "kind", "effective_from", "effective_until", "supersedes")
DATES = ("signed", "effective_from", "effective_until")


@dataclass
class DocumentDesk:
    """What the document pages work with: the store, the uploads between preview and publish,
    the index a change is carried into (given the engine in use, whose model embeds), the log."""

    store: Store
    uploads: Uploads
    target: Callable[[object], ops.IndexTarget]
    log: Path


# --- wording ------------------------------------------------------------------------------------

def _d(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def status_text(st, sources: dict) -> tuple[str, str]:
    """(Vietnamese label, badge class) for a retrieval.validity.Status."""
    since = _d(st.since)
    if st.code == "in_force":
        return "Đang có hiệu lực" + (f" từ {since}" if since else ""), "ok"
    if st.code == "not_yet":
        return "Chưa có hiệu lực" + (f" (từ {since})" if since else ""), "info"
    if st.code == "expired":
        return "Hết hiệu lực" + (f" từ {since}" if since else ""), "bad"
    if st.code == "superseded":
        by = sources.get(st.superseded_by)
        return (f"Bị thay thế bởi {doc_name(by) if by else st.superseded_by}" + (f" từ {since}" if since else ""),
                "bad")
    return "Chưa rõ hiệu lực", "warn"


def error_text(e: DocumentError) -> str:
    """A refused document, said politely in Vietnamese (the library's message is for the CLI)."""
    i = e.info
    field = FIELD_NAMES.get(i.get("field", ""), i.get("field", ""))
    return {
        "unsupported": "Chưa đọc được loại tệp này. Hãy dùng tệp .txt, .docx, .pdf hoặc .html.",
        "missing": "Không còn thấy tệp đã tải lên. Hãy tải tệp lên lại.",
        "empty": "Tệp trống, không có nội dung.",
        "no_text_layer": "Tệp PDF này không có lớp chữ (có lẽ là bản chụp, bản quét), nên không trích được "
                         "nguyên văn. Hãy gửi bản .docx, .txt hoặc một tệp PDF chọn được chữ.",
        "no_text": "Không tìm thấy chữ nào trong tệp.",
        "not_utf8": "Tệp .txt không dùng bảng mã UTF-8. Hãy lưu lại tệp với bảng mã UTF-8 rồi tải lên.",
        "unreadable": "Không mở được tệp: có thể tệp bị hỏng hoặc không đúng định dạng. Hãy kiểm tra lại tệp.",
        "required": f"Hãy điền {field}.",
        "future_date": f"Ngày {_d(i.get('day'))} ({field}) muộn hơn hôm nay quá một năm. Hãy kiểm tra lại ngày.",
        "no_kind": "Chưa nhận ra loại văn bản từ nội dung. Hãy chọn loại văn bản.",
        "bad_kind": "Loại văn bản không hợp lệ. Hãy chọn trong danh sách.",
        "id_taken": f"Mã “{i.get('id')}” đã được dùng cho văn bản khác.",
        "bad_id": f"Mã “{i.get('id')}” không hợp lệ.",
        "duplicate_text": f"Nội dung này đã có trong kho: “{i.get('title')}” (mã {i.get('id')}).",
        "duplicate_number": f"Đã có văn bản số {i.get('number')} năm {i.get('year')} (mã {i.get('id')}). "
                            "Hãy kiểm tra lại số hiệu; nếu văn bản mới thay thế văn bản cũ, hãy cho văn bản cũ "
                            "hết hiệu lực trước.",
        "contradiction": "Thông tin hiệu lực mâu thuẫn với các văn bản đã có (ví dụ văn bản được chọn để thay "
                         "thế đã bị văn bản khác thay thế, hoặc mới hơn văn bản này). Hãy kiểm tra lại ngày và "
                         "văn bản bị thay thế.",
        "no_clauses": "Không cắt được đoạn nào từ nội dung tệp.",
        "unknown_id": f"Không có văn bản mã “{i.get('id')}”.",
        "until_before_from": f"Ngày hết hiệu lực phải từ ngày văn bản có hiệu lực ({_d(i.get('day'))}) trở đi.",
        "already_replaced": f"Văn bản này đã được thay thế bởi văn bản mã “{i.get('id')}”.",
        "shipped": "Văn bản có sẵn trong rulebot không xoá được. Nếu văn bản không còn áp dụng, hãy cho văn "
                   "bản hết hiệu lực.",
        "referred_to": "Có văn bản khác đang ghi là thay thế, sửa đổi hoặc đưa tin về văn bản này. Hãy xoá "
                       "hoặc sửa văn bản đó trước.",
        "has_officials_faq": f"Văn bản còn {len(i.get('lines') or [])} câu hỏi FAQ do cán bộ thêm. Hãy xoá các "
                             "câu hỏi đó ở trang FAQ trước, rồi xoá văn bản.",
    }.get(e.reason, "Không thực hiện được với văn bản này. Hãy kiểm tra lại tệp và các thông tin đã điền.")


# --- the form -------------------------------------------------------------------------------------

class FormError(ValueError):
    """A field typed wrong; the message is Vietnamese."""


def read_fields(form) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip()[:FIELD_MAX] for k in FIELDS}


def new_document(fields: dict[str, str], file: Path) -> NewDocument:
    """The form's fields as a NewDocument; dates as the browser's date input sends them."""
    for k in ("title", "issuer", "signed"):
        if not fields.get(k):
            raise FormError(f"Hãy điền {FIELD_NAMES[k]}.")
    days: dict[str, date | None] = {}
    for k in DATES:
        try:
            days[k] = date.fromisoformat(fields[k]) if fields.get(k) else None
        except ValueError:
            raise FormError(f"Ô {FIELD_NAMES[k]} chưa đúng dạng ngày (ví dụ 2026-12-01).") from None
    if days["effective_from"] and days["effective_until"] and days["effective_until"] < days["effective_from"]:
        raise FormError("Ngày hết hiệu lực phải từ ngày có hiệu lực trở đi.")
    kind = fields.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise FormError("Loại văn bản không hợp lệ. Hãy chọn trong danh sách.")
    return NewDocument(file=file, title=fields["title"], issuer=fields["issuer"], signed=days["signed"],
                       number=fields.get("number") or None, kind=kind, effective_from=days["effective_from"],
                       effective_until=days["effective_until"],
                       supersedes=(fields["supersedes"],) if fields.get("supersedes") else ())


def warnings(prepared, given_kind: str | None, sources: dict, today: date) -> list[str]:
    """What an editor should look at before publishing."""
    s = prepared.source
    out = []
    if not given_kind:
        out.append(f"Loại văn bản nhận ra từ nội dung: {KIND_NAMES.get(s.kind, s.kind)}. Nếu chưa đúng, hãy chọn lại.")
    if s.kind == "report":
        out.append("Tin báo chí được trích như tin về quy định (“theo tin ngày …”), không như chính quy định; "
                   "số hiệu đã điền được hiểu là văn bản mà tin nói tới.")
    if not s.effective_from:
        out.append("Chưa có ngày có hiệu lực: bot sẽ nói hiệu lực của văn bản này là chưa rõ.")
    st = status(s, today, {**sources, s.id: s})
    if st.code in ("not_yet", "expired"):
        out.append(f"Tính đến hôm nay: {status_text(st, sources)[0].lower()}.")
    for old in s.supersedes:
        o = sources.get(old)
        out.append(f"Văn bản “{o.title if o else old}” sẽ được coi là bị thay thế; các câu trả lời trong 90 ngày "
                   "qua có trích văn bản đó sẽ vào hàng chờ duyệt lại.")
    if len(prepared.chunks) < 2:
        out.append("Chỉ cắt được một đoạn. Hãy xem nội dung có đúng là văn bản cần thêm không.")
    return out


# --- pages ----------------------------------------------------------------------------------------

def _render(request, name, **ctx):
    render = request.app.state.render  # views.render, set by create_app (views imports this module)
    return render(request, name, KIND_NAMES=KIND_NAMES, **ctx)


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _desk(request) -> DocumentDesk:
    return request.app.state.console.desk


def _state(console):
    state = console.rebuilder.state if console.rebuilder else None
    return state if state and state.job else None


@page()
async def documents_list(request: Request, who) -> Response:
    console = request.app.state.console
    desk = _desk(request)
    try:
        rows = await run_in_threadpool(ops.rows, desk.store)
        error = None
    except CorpusError as e:  # a hand-edited manifest that no longer loads: say so, do not crash
        log.warning("document store not readable: %s", e)
        rows, error = [], "Không đọc được kho văn bản. Hãy chạy “rulebot documents list” trên máy chủ để xem lỗi."
    sources = {r.source.id: r.source for r in rows}
    counts = Counter(c.source_id for c in console.holder.engine.index.chunks)
    shown = [(r, *status_text(r.status, sources)) for r in rows]
    shown.sort(key=lambda x: (x[0].source.date or date.min), reverse=True)
    return _render(request, "documents.html", rows=shown, counts=counts, error=error,
                   state=_state(console), can_edit=who.can("editor"))


@page()
async def document_detail(request: Request, who) -> Response:
    console = request.app.state.console
    desk = _desk(request)
    sid = request.path_params["sid"]
    if "start" in request.query_params:  # the old address of the quote-in-its-document view
        return back(f"/documents/{sid}/text?{request.url.query}")
    try:
        rows = await run_in_threadpool(ops.rows, desk.store)
    except CorpusError:
        return _refuse(request, 500, "Không đọc được kho văn bản. Hãy chạy “rulebot documents list” trên máy chủ.")
    r = next((x for x in rows if x.source.id == sid), None)
    if r is None:
        return _refuse(request, 404, "Không có văn bản này.")
    sources = {x.source.id: x.source for x in rows}
    chunks = [c for c in console.holder.engine.index.chunks if c.source_id == sid]
    indexed = bool(chunks)
    if not indexed:
        from retrieval.chunking import chunk_document

        chunks = chunk_document(sid, r.entry.document.text)
    label, badge = status_text(r.status, sources)

    def pending():
        from bot.rereview import pending as queued

        return [p for p in queued(desk.log) if p.source_id == sid]

    return _render(request, "document_detail.html", r=r, s=r.source, label=label, badge=badge, sources=sources,
                   chunks=chunks[:CLAUSES_SHOWN], total=len(chunks), indexed=indexed,
                   rereview=await run_in_threadpool(pending), can_edit=who.can("editor"),
                   others=[x.source for x in rows if x.source.id != sid], today=date.today().isoformat())


def _refuse(request, code, message):
    return request.app.state.refuse(request, code, message)


@page("editor")
async def document_new(request: Request, who) -> Response:
    return await _form(request, {})


async def _form(request, fields: dict, error: str | None = None, status_code: int = 200) -> Response:
    desk = _desk(request)
    try:
        others = [r.source for r in await run_in_threadpool(ops.rows, desk.store)]
    except CorpusError:
        others = []
    return _render(request, "document_new.html", status=status_code, f=fields, error=error, kinds=KINDS,
                   others=sorted(others, key=lambda s: s.date or date.min, reverse=True),
                   max_mb=desk.uploads.max_bytes // (1024 * 1024))


@page("editor", files=1, max_bytes=MAX_BYTES + 256 * 1024)
async def document_preview(request: Request, who, form) -> Response:
    """Check the upload and show the clauses it would make; nothing is written to the store."""
    desk = _desk(request)
    fields = read_fields(form)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await _form(request, fields, "Hãy chọn tệp văn bản cần thêm.", 400)
    try:
        new_document(fields, Path("unused"))  # the fields first: no file kept for a form typed wrong
        staged = await run_in_threadpool(desk.uploads.save, upload.file, upload.filename, who.name, fields)
    except (FormError, UploadError) as e:
        return await _form(request, fields, str(e), 400)
    finally:
        await upload.close()
    try:
        new = new_document(fields, staged.path)
        prepared = await run_in_threadpool(desk.store.prepare, new)
        sources = {r.source.id: r.source for r in await run_in_threadpool(ops.rows, desk.store)}
    except DocumentError as e:
        desk.uploads.discard(staged.token)
        return await _form(request, fields, error_text(e), 400)
    except Exception:  # an extractor's own failure on a malformed file: the form again, not a 500
        desk.uploads.discard(staged.token)
        log.exception("preview failed")
        return await _form(request, fields, "Không đọc được tệp này. Hãy kiểm tra lại tệp.", 400)
    return _render(request, "document_preview.html", p=prepared, staged=staged,
                   warnings=warnings(prepared, new.kind, sources, date.today()), sources=sources)


@page("editor")
async def document_publish(request: Request, who, form) -> Response:
    """Add the previewed upload: store + index update, in the rebuild thread."""
    console = request.app.state.console
    desk = _desk(request)
    token = str(form.get("token") or "")
    if form.get("cancel"):
        desk.uploads.discard(token)
        flash(request, "Đã huỷ, không thêm gì.")
        return back("/documents")
    staged = desk.uploads.get(token, who.name)
    if staged is None:
        flash(request, "Bản xem trước đã hết hạn hoặc không còn. Hãy tải tệp lên lại.", "error")
        return back("/documents/new")
    title = staged.fields.get("title") or staged.name
    job = Job(f"Thêm văn bản “{title}”", lambda engine: _add(console, who.name, staged, engine))
    console.officials.record(who.name, "documents.publish", staged.fields.get("number") or title,
                             f"file {staged.name}")
    return await _start(request, console, who, job, f"Đang thêm văn bản “{title}”: đang cắt đoạn và cập nhật "
                        "chỉ mục. Bot vẫn trả lời bằng chỉ mục cũ cho tới khi xong, không cần khởi động lại.")


async def _start(request: Request, console, who, job: Job, started: str) -> Response:
    """Run a document job in the rebuild thread (the page says it started), or here, off the
    event loop, when this server has no rebuild thread (the page says how it ended)."""
    if console.rebuilder is None:
        try:
            _, done = await run_in_threadpool(job.run, console.holder.engine)
            flash(request, done + ".")
        except JobError as e:
            flash(request, str(e), "error")
        return back("/documents")
    console.rebuilder.request(who.name, job)
    flash(request, started)
    return back("/documents")


def _add(console, by: str, staged, engine) -> tuple[object | None, str]:
    """The Job: add through the shared steps, then the new generation as an engine to swap in."""
    desk = console.desk
    try:
        added = ops.add(desk.store, new_document(staged.fields, staged.path), desk.target(engine), desk.log)
    except (DocumentError, FormError) as e:
        record_done(console, by, "documents.refused", staged.fields.get("number") or staged.name, str(e))
        raise JobError(f"Chưa thêm được văn bản: {error_text(e) if isinstance(e, DocumentError) else e}") from None
    finally:
        desk.uploads.discard(staged.token)
    s = added.source
    u = added.update
    record_done(console, by, "documents.add", s.id, f"{len(added.chunks)} clauses"
                + (f", {u.embedded} embedded" if u else ", no index yet")
                + (f", {added.flagged} answers queued for re-review" if added.flagged else "")
                + (", answers not queued (the log refused the write)" if added.flagged is None else ""))
    done = f"Đã thêm “{s.title}” (mã {s.id}, {len(added.chunks)} đoạn)"
    if added.flagged:
        done += f"; {added.flagged} câu trả lời trích văn bản bị thay thế đã vào hàng chờ duyệt lại"
    elif added.flagged is None:
        done += NOT_QUEUED.format(what="trích văn bản bị thay thế")
    return _new_generation(console, engine, u, added.documents, done)


def _new_generation(console, engine, updated, documents, done: str) -> tuple[object | None, str]:
    """A job's end: the updated index as an engine for the Rebuilder to swap in (it reads the
    store's validity into it), or, with no index on this server yet, what to run."""
    from retrieval import faq

    if updated is None:
        return None, done + ". Máy chủ chưa có chỉ mục: hãy chạy “rulebot index”"
    new = console.rebuilder.load_engine(engine, documents, faq.curated_entries(documents)) \
        if console.rebuilder else None
    return new, done + "; bot đã dùng chỉ mục mới"


def refresh_validity(engine, store: Store) -> None:
    """Whether each document holds comes from the store, not the index: the console's Rebuilder
    calls this on every engine it swaps in, so a retirement written while the index was being
    rebuilt or updated is not lost at the swap."""
    from retrieval.engine import fresh_sources

    engine.index.sources = fresh_sources(engine.index.sources, store.documents())


@page("editor")
async def document_remove(request: Request, who, form) -> Response:
    """Take an added document out (a wrong upload): store + index, in the rebuild thread. Shipped
    documents, and ones others refer to or officials' FAQ lines point at, are refused first."""
    console = request.app.state.console
    desk = _desk(request)
    sid = request.path_params["sid"]
    here = f"/documents/{sid}"
    if form.get("confirm") != "yes":
        flash(request, "Hãy đánh dấu ô xác nhận trước khi xoá văn bản.", "error")
        return back(here + "#remove")
    try:
        entry = await run_in_threadpool(ops.check_remove, desk.store, sid)
    except DocumentError as e:
        flash(request, error_text(e), "error")
        return back(here + "#remove")
    except CorpusError as e:  # the store's manifest or the officials' FAQ file cannot be read
        log.warning("document %s not removed: %s", sid, e)
        flash(request, "Không đọc được kho văn bản hoặc tệp FAQ của cán bộ, nên chưa xoá gì. Hãy báo quản trị "
                       "viên kiểm tra máy chủ.", "error")
        return back(here + "#remove")
    title = entry.document.source.title
    job = Job(f"Xoá văn bản “{title}”", lambda engine: _remove(console, who.name, sid, engine))
    console.officials.record(who.name, "documents.remove.requested", sid, title)
    return await _start(request, console, who, job, f"Đang xoá văn bản “{title}” khỏi kho và chỉ mục. Bot vẫn "
                        "trả lời bằng chỉ mục cũ cho tới khi xong, không cần khởi động lại.")


def _remove(console, by: str, sid: str, engine) -> tuple[object | None, str]:
    """The Job: remove through the shared steps, queue the answers that quoted it, swap in the
    new generation."""
    desk = console.desk
    try:
        source, updated, flagged = ops.remove(desk.store, sid, desk.target(engine), desk.log)
    except DocumentError as e:
        record_done(console, by, "documents.refused", sid, str(e))
        raise JobError(f"Chưa xoá được văn bản: {error_text(e)}") from None
    record_done(console, by, "documents.remove", sid, f"{source.title}"
                + (f", {updated.embedded} embedded" if updated else ", no index yet")
                + (f", {flagged} answers queued for re-review" if flagged else "")
                + (", answers not queued (the log refused the write)" if flagged is None else ""))
    done = f"Đã xoá “{source.title}” (mã {sid})"
    if flagged:
        done += f"; {flagged} câu trả lời có trích văn bản này đã vào hàng chờ duyệt lại"
    elif flagged is None:
        done += NOT_QUEUED.format(what="có trích văn bản này")
    return _new_generation(console, engine, updated, desk.store.documents() if updated else [], done)


@page("editor")
async def document_retire(request: Request, who, form) -> Response:
    console = request.app.state.console
    desk = _desk(request)
    sid = request.path_params["sid"]
    here = f"/documents/{sid}"
    try:
        until = date.fromisoformat(str(form.get("until") or ""))
    except ValueError:
        flash(request, "Hãy điền ngày cuối cùng văn bản còn hiệu lực (ví dụ 2026-12-31).", "error")
        return back(here + "#retire")
    replaced_by = str(form.get("replaced_by") or "").strip() or None
    try:
        retired = await run_in_threadpool(ops.retire, desk.store, sid, until, replaced_by, desk.log)
    except DocumentError as e:
        flash(request, error_text(e), "error")
        return back(here + "#retire")
    await run_in_threadpool(refresh_validity, console.holder.engine, desk.store)
    record_done(console, who.name, "documents.retire", sid, f"until {until.isoformat()}"
                + (f", replaced by {replaced_by}" if replaced_by else "")
                + (f", {retired.flagged} answers queued for re-review" if retired.flagged is not None
                   else ", answers not queued (the log refused the write)"))
    msg = f"Đã ghi: “{retired.source.title}” có hiệu lực đến hết ngày {_d(until)}"
    if replaced_by:
        msg += f", được thay thế bởi văn bản mã {replaced_by}"
    if retired.flagged is None:
        flash(request, msg + ". Nhưng chưa đưa được các câu trả lời gần đây có trích văn bản này vào hàng chờ "
                             "duyệt lại vì nhật ký đang bận. Hãy gửi lại biểu mẫu này với cùng ngày sau ít phút.",
              "error")
        return back(here + "#retire")
    msg += (f". {retired.flagged} câu trả lời trong 90 ngày qua có trích văn bản này đã vào hàng chờ duyệt lại."
            if retired.flagged else ". Không có câu trả lời gần đây nào trích văn bản này.")
    flash(request, msg)
    return back(here)
