"""The document pages in a real Chromium with JavaScript off (fake engine, real store and
uploads): upload → preview → publish → the document is in the list, on a phone-sized screen."""
from __future__ import annotations

from test_console_browser import _log_in, browser, serving  # noqa: F401 (browser: a fixture)

from tests import doc_files as f


def test_upload_preview_publish_and_the_document_is_listed(browser, tmp_path):  # noqa: F811
    from console_fakes import PASSWORD, rig

    r = rig(tmp_path)
    docx = f.decision_docx(tmp_path / "quyet dinh 41.docx")
    with serving(r.app) as base:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                      is_mobile=True, has_touch=True)
        page = context.new_page()
        _log_in(page, base, "eddie", PASSWORD)
        page.click("nav >> text=Văn bản")
        assert page.url.endswith("/documents") and "Chưa rõ hiệu lực" in page.content()
        page.click("a.button:has-text('Thêm văn bản')")
        page.set_input_files("#file", str(docx))
        page.fill("#title", "Quyết định về phòng, chống dịch cúm gia cầm")
        page.fill("#number", "41/QĐ-UBND")
        page.fill("#issuer", "UBND thành phố Hà Nội")
        page.fill("#signed", "2026-11-02")
        page.fill("#effective_from", "2026-11-02")
        page.click("button:has-text('Xem trước')")
        assert "Điều 1, khoản 2, điểm a" in page.content() and f.BAN_LIVE_POULTRY in page.content()
        assert not r.app.state.console.desk.store.manifest.exists()  # the preview wrote nothing
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the preview is wider than a phone"
        page.click("button:has-text('Đăng văn bản')")
        assert page.url.endswith("/documents")
        r.rebuilder.wait(30)
        page.reload()
        html = page.content()
        assert "Đã thêm “Quyết định về phòng, chống dịch cúm gia cầm”" in html
        assert "Đang có hiệu lực từ 02/11/2026" in html
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the list is wider than a phone"
        page.click("td >> a:has-text('Quyết định về phòng, chống dịch cúm gia cầm')")
        assert "Điều 1, khoản 2, điểm a" in page.content() and "Cho hết hiệu lực" in page.content()
        context.close()
