"""The console's upload → preview → publish with the real model and a copy of the session's
index: the new generation is staged with only the new clauses embedded, the engine in use is
swapped for it without a restart, and the next question is answered from the new document;
retiring it then makes the same answer say that the rule has lapsed.
"""
from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests import doc_files as f

pytestmark = pytest.mark.skipif(not f.DEJAVU.is_file(), reason="needs fonts-dejavu-core")

QUESTION = "Hộ gia đình phải làm gì để diệt lăng quăng, bọ gậy?"


def _console(tmp: Path, index: Path, embedder, monkeypatch):
    from argon2 import PasswordHasher
    from console_fakes import PASSWORD

    from bot.console.app import create_app
    from bot.console.settings import ConsoleSettings
    from bot.engine_holder import EngineHolder, Rebuilder
    from bot.officials import Officials
    from retrieval import faq, settings
    from retrieval.corpus import checksum
    from retrieval.documents import Store
    from retrieval.engine import Engine
    from retrieval.glossary import Glossary
    from retrieval.index import load
    from retrieval.search import Retriever

    monkeypatch.setenv("RULEBOT_DOCUMENTS", str(tmp / "documents"))
    monkeypatch.setenv("RULEBOT_INDEX", str(index))
    docs, entries = faq.curated()
    idx = load(index, model=embedder.name, expected_checksum=checksum(docs, entries))
    holder = EngineHolder(Engine(idx, Retriever(idx, embedder, glossary=Glossary.load(settings.DEFAULT_GLOSSARY))))
    officials = Officials(tmp / "officials.db", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    officials.add("eddie", "editor", PASSWORD, "test")
    app = create_app(ConsoleSettings(secret="s" * 40, index_dir=index), engine_holder=holder,
                     exchange_log_path=tmp / "log.db", officials=officials, officials_faq_path="",
                     rebuilder=Rebuilder(holder, index), documents=Store(tmp / "documents"))
    return app, holder


def test_publish_from_the_console_swaps_in_the_new_generation_retire_says_it_lapsed_and_remove_drops_it(
        tmp_path, index_dir, embedder, monkeypatch):
    from console_fakes import csrf_of, login
    from starlette.testclient import TestClient

    index = tmp_path / "index"
    shutil.copytree(index_dir, index)
    app, holder = _console(tmp_path, index, embedder, monkeypatch)
    c = TestClient(app, follow_redirects=False)
    assert login(c, "eddie").status_code == 303
    before = holder.engine
    today = date.today()
    pdf = f.directive_pdf(tmp_path / "ct05.pdf")
    token = csrf_of(c.get("/documents/new").text)
    with open(pdf, "rb") as fh:
        page = c.post("/documents/new", files={"file": ("chi thi 05.pdf", fh, "application/pdf")}, data={
            "csrf": token, "title": "Chỉ thị về tăng cường phòng, chống dịch sốt xuất huyết", "number": "05/CT-UBND",
            "issuer": "UBND thành phố Hà Nội", "signed": (today - timedelta(days=60)).isoformat(),
            "effective_from": (today - timedelta(days=50)).isoformat()}).text
    assert "mục 1" in page and f.LARVAE_OLD[:60] in page
    assert holder.engine is before and not (tmp_path / "documents" / "manifest.toml").exists()
    upload = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert c.post("/documents/publish", data={"csrf": token, "token": upload}).status_code == 303
    state = app.state.console.rebuilder.wait(300)
    assert state.phase == "done", state.message
    assert holder.engine is not before and holder.generation == 1
    new = holder.engine.index
    assert Path(new.path).parent.name == "index.generations"  # a new generation, linked in atomically
    sid = next(s for s in new.sources if s.startswith("05-ct-ubnd"))
    n = sum(ch.source_id == sid for ch in new.chunks)
    assert len(new.chunks) == len(before.index.chunks) + n
    answer = holder.answer(QUESTION)
    assert answer.status == "answered" and answer.main.source.id == sid and answer.main.status == "in_force"
    assert "mỗi tuần một lần" in answer.main.quote
    listing = c.get("/documents").text
    assert re.search(rf'href="/documents/{sid}".*?Đang có hiệu lực.*?class="num">{n}</td>', listing, re.DOTALL)

    until = today - timedelta(days=1)
    resp = c.post(f"/documents/{sid}/retire", data={"csrf": token, "until": until.isoformat()})
    assert resp.status_code == 303
    assert holder.engine.index is new  # retiring touches no vector: same index, same generation
    lapsed = holder.answer(QUESTION)
    assert lapsed.main.source.id == sid and lapsed.main.status == "expired"
    assert f"Hết hiệu lực từ {today:%d/%m/%Y}" in c.get(f"/documents/{sid}").text

    # a wrong upload taken out again: a generation without its clauses, nothing of it answered
    resp = c.post(f"/documents/{sid}/remove", data={"csrf": token, "confirm": "yes"})
    assert resp.status_code == 303 and resp.headers["location"] == "/documents"
    state = app.state.console.rebuilder.wait(300)
    assert state.phase == "done" and "Đã xoá" in state.message, state.message
    assert holder.generation == 2 and len(holder.engine.index.chunks) == len(before.index.chunks)
    assert all(ch.source_id != sid for ch in holder.engine.index.chunks)
    gone = holder.answer(QUESTION)
    assert gone.main is None or gone.main.source.id != sid
