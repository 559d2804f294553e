"""Officials' documents end to end, with the real model: real DOCX, PDF and HTML files added
through `rulebot documents add`, asked about, quoted verbatim with their number and date and
labelled by their structure; a replacement on either side of its day; an expired rule said
first; retiring touching no vector; crashes leaving the old index or the new; gold figures
unchanged after adding and removing an unrelated document.

One index (a copy of the session's) is updated in place by the module's fixture; the tests that
need their own copy make it from the session index, and embed only the new clauses.
"""
from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.render import render
from retrieval import faq, settings
from retrieval.evaluation import gold
from retrieval.corpus import checksum
from retrieval.engine import Engine, fresh_sources
from retrieval.glossary import Glossary
from retrieval.index import IndexNotUsable, load
from retrieval.search import Retriever
from tests import doc_files as f

pytestmark = pytest.mark.skipif(not f.DEJAVU.is_file(), reason="needs fonts-dejavu-core")

QD, CT05, CT09, TIN = "41-qd-ubnd-2026-11-02", "05-ct-ubnd-2026-09-20", "09-ct-ubnd-2026-11-25", "chi-thi-so-22-ct-ubnd-2026-11-20"
LARVAE_Q = "Hộ gia đình phải làm gì để diệt lăng quăng, bọ gậy?"


def use(mp: pytest.MonkeyPatch, root: Path, embedder) -> None:
    """A store, an index and an exchange log of the test's own; the session's model."""
    mp.setenv("RULEBOT_DOCUMENTS", str(root / "documents"))
    mp.setenv("RULEBOT_INDEX", str(root / "index"))
    mp.setenv("RULEBOT_LOG", str(root / "log.db"))
    mp.setattr("retrieval.embedding.Embedder", lambda name: embedder)


def engine_now(embedder) -> Engine:
    """As Engine.load builds it (stale index refused, validity from the store), on the session's model."""
    docs, entries = faq.curated()
    index = load(settings.index_dir(), model=embedder.name, expected_checksum=checksum(docs, entries))
    index.sources = fresh_sources(index.sources, docs)
    return Engine(index, Retriever(index, embedder, glossary=Glossary.load(settings.DEFAULT_GLOSSARY)))


def add(*args: str) -> None:
    assert main(["documents", "add", *map(str, args)]) == 0


@pytest.fixture(scope="module")
def world(tmp_path_factory, index_dir, embedder):
    root = tmp_path_factory.mktemp("docs")
    shutil.copytree(index_dir, root / "index")
    files = root / "files"
    files.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        use(mp, root, embedder)
        from bot.exchange_log import ExchangeLog
        log = ExchangeLog(root / "log.db", salt="s")
        add(f.decision_docx(files / "qd.docx"), "--title", "Quyết định về phòng, chống dịch cúm gia cầm",
            "--number", "41/QĐ-UBND", "--issuer", "UBND thành phố Hà Nội", "--signed", "2026-11-02",
            "--effective-from", "2026-11-02")
        add(f.directive_pdf(files / "ct05.pdf"), "--title", "Chỉ thị về tăng cường phòng, chống dịch sốt xuất huyết",
            "--number", "05/CT-UBND", "--issuer", "UBND thành phố Hà Nội", "--signed", "2026-09-20",
            "--effective-from", "2026-10-01")
        add(f.report_html(files / "tin.html"), "--title", "Hà Nội ban hành Chỉ thị số 22/CT-UBND về phòng, chống cúm mùa",
            "--number", "Chỉ thị số 22/CT-UBND", "--issuer", "Báo Điện tử Thủ đô", "--signed", "2026-11-20",
            "--kind", "report", "--effective-from", "2026-12-01", "--effective-until", "2027-02-28")
        before = engine_now(embedder)
        asked = before.answer(LARVAE_Q, as_of=date(2026, 11, 20))
        xid = log.question("zalo", 7, LARVAE_Q)
        log.answered(xid, asked, 20.0)
        log.delivered(xid, render(asked), "delivered")
        log.close()
        txt = files / "ct09.txt"  # the replacing directive arrives as plain text
        txt.write_text("CHỈ THỊ\nVề việc diệt lăng quăng, bọ gậy phòng, chống sốt xuất huyết\n\n"
                       f"1. Các phường, xã tổ chức ra quân diệt lăng quăng, bọ gậy tại các khu dân cư.\n\n2. {f.LARVAE_NEW}\n",
                       encoding="utf-8")
        add(txt, "--title", "Chỉ thị về diệt lăng quăng, bọ gậy", "--number", "09/CT-UBND", "--issuer",
            "UBND thành phố Hà Nội", "--signed", "2026-11-25", "--effective-from", "2026-12-10",
            "--supersedes", CT05)
        yield {"root": root, "engine": engine_now(embedder), "before": before, "xid": xid, "asked": asked}


def stored_text(root: Path, sid: str) -> str:
    return (root / "documents" / "texts" / f"{sid}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("sid, question, quote, label, cited", [
    (QD, "Có được bán gia cầm sống ở chợ nội thành không?", f.BAN_LIVE_POULTRY, "Điều 1, khoản 2, điểm a",
     "41/QĐ-UBND, UBND thành phố Hà Nội, ngày 02/11/2026, Điều 1, khoản 2, điểm a"),
    (QD, "Gia cầm ốm chết bất thường thì người chăn nuôi phải báo cho ai?", f.REPORT_SICK_BIRDS, "Điều 2, khoản 1",
     "ngày 02/11/2026, Điều 2, khoản 1"),
    (CT05, "Người sốt cao đột ngột, xuất huyết dưới da thì phải làm gì?", "sốt cao đột ngột", "mục 3",
     "05/CT-UBND, UBND thành phố Hà Nội, ngày 20/09/2026, mục 3"),
    (TIN, "Học sinh bị sốt, ho có được nghỉ học ở nhà không?", f.SCHOOL_SICK, "đoạn 3",
     "Báo Điện tử Thủ đô, ngày 20/11/2026, đoạn 3"),
])
def test_each_added_file_is_quoted_verbatim_with_its_number_date_and_own_labels(world, sid, question, quote, label, cited):
    answer = world["engine"].answer(question, as_of=date(2026, 12, 5))
    assert answer.status == "answered" and answer.main.source.id == sid
    main = answer.main
    assert quote in main.quote and main.location == label
    text = stored_text(world["root"], sid)
    assert text[main.start:main.end] == main.quote  # verbatim, from the stored source of truth
    assert cited in render(answer)


def test_a_news_report_is_cited_as_a_report_of_the_rule(world):
    text = render(world["engine"].answer("Học sinh bị sốt, ho có được nghỉ học ở nhà không?", as_of=date(2026, 12, 5)))
    assert text.startswith("Theo tin ngày 20/11/2026 về Chỉ thị số 22/CT-UBND:")
    assert "Theo tin này, quy định áp dụng từ ngày 01/12/2026 đến hết ngày 28/02/2027." in text


def test_the_same_question_either_side_of_the_replacement(world):
    engine = world["engine"]
    before = engine.answer(LARVAE_Q, as_of=date(2026, 12, 9))
    assert before.main.source.id == CT05 and before.main.status == "in_force"
    assert f.LARVAE_OLD in before.main.quote
    assert render(before).startswith("Quy định đang có hiệu lực (từ ngày 01/10/2026):")

    after = engine.answer(LARVAE_Q, as_of=date(2026, 12, 11))
    assert after.main.source.id == CT09 and after.main.status == "in_force" and f.LARVAE_NEW in after.main.quote
    text = render(after)
    assert text.startswith("Quy định đang có hiệu lực (từ ngày 10/12/2026):")
    for c in after.citations:  # the lapsed clause is never presented as in force
        if c.source.id == CT05:
            assert c.status == "superseded" and c.superseded_by == CT09
            assert "Đã được thay thế bởi 09/CT-UBND từ ngày 10/12/2026." in text


def test_a_question_only_an_expired_document_answers_says_so_first(world):
    answer = world["engine"].answer("Học sinh bị sốt, ho có được nghỉ học ở nhà không?", as_of=date(2027, 3, 5))
    assert answer.main.source.id == TIN and answer.main.status == "expired"
    assert render(answer).splitlines()[0].startswith(
        "Lưu ý: tính đến ngày 05/03/2027, quy định dưới đây đã hết hiệu lực từ ngày 01/03/2027")


def test_answers_that_quoted_the_replaced_directive_are_queued_for_review(world):
    from bot.rereview import pending

    assert CT05 in {c.source.id for c in world["asked"].citations}
    items = pending(world["root"] / "log.db")
    assert [(i.exchange_id, i.source_id, i.reason) for i in items] == [(world["xid"], CT05, "nguồn đã hết hiệu lực")]


def test_adding_embedded_only_the_new_clauses(world):
    import json

    manifest = json.loads((world["root"] / "index" / "manifest.json").read_text())
    assert manifest["update"]["added"] == [CT09] and manifest["update"]["embedded_chunks"] == 3
    assert manifest["documents"] == 9


def digest(index: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(index).resolve().iterdir() if p.is_file()}


def test_retiring_changes_no_vector_and_the_next_answer_says_it_lapsed(world, embedder, monkeypatch):
    use(monkeypatch, world["root"], embedder)
    before = digest(world["root"] / "index")
    assert main(["documents", "retire", QD, "--until", "2026-12-31"]) == 0
    assert digest(world["root"] / "index") == before
    answer = engine_now(embedder).answer("Có được bán gia cầm sống ở chợ nội thành không?", as_of=date(2027, 1, 2))
    assert answer.main.source.id == QD and answer.main.status == "expired"
    assert render(answer).startswith("Lưu ý: tính đến ngày 02/01/2027, quy định dưới đây đã hết hiệu lực từ ngày 01/01/2027.")


def own_copy(tmp_path, index_dir, embedder, monkeypatch) -> Path:
    shutil.copytree(index_dir, tmp_path / "index")
    use(monkeypatch, tmp_path, embedder)
    return tmp_path


def test_a_crash_while_staging_leaves_the_store_and_index_as_they_were(tmp_path, index_dir, embedder, monkeypatch):
    root = own_copy(tmp_path, index_dir, embedder, monkeypatch)
    current = (root / "index").resolve()

    def crash(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("faiss.write_index", crash)
    with pytest.raises(OSError, match="disk full"):
        add(f.decision_docx(tmp_path / "qd.docx"), "--title", "QĐ", "--number", "41/QĐ-UBND", "--issuer", "UBND",
            "--signed", "2026-11-02")
    monkeypatch.undo()
    use(monkeypatch, root, embedder)
    assert (root / "index").resolve() == current and not list(root.glob(".index.updating-*"))
    assert not (root / "documents" / "manifest.toml").exists()
    assert len(engine_now(embedder).index.sources) == 5


def test_a_crash_after_the_store_commit_is_repaired_by_sync_embedding_only_what_is_missing(
        tmp_path, index_dir, embedder, monkeypatch, capsys):
    root = own_copy(tmp_path, index_dir, embedder, monkeypatch)

    def crash(*a, **k):
        raise KeyboardInterrupt  # killed between the store's commit and the index's swap

    monkeypatch.setattr("retrieval.index_update.publish", crash)
    with pytest.raises(KeyboardInterrupt):
        from bot.cli import parser
        args = parser("documents").parse_args(["documents", "add", str(f.report_html(tmp_path / "t.html")), "--title", "Tin",
                                 "--number", "22/CT-UBND", "--issuer", "Báo", "--signed", "2026-11-20",
                                 "--kind", "report"])
        args.run(args)
    monkeypatch.undo()
    use(monkeypatch, root, embedder)
    with pytest.raises(IndexNotUsable, match="stale"):
        engine_now(embedder)  # the old generation, whole, but behind the store: refused, not half-used
    assert main(["documents", "sync"]) == 0
    assert "4 clauses embedded" in capsys.readouterr().out
    assert len(engine_now(embedder).index.sources) == 6


def test_gold_figures_are_unchanged_after_adding_and_removing_an_unrelated_document(
        tmp_path, index_dir, engine, embedder, monkeypatch):
    from retrieval.evaluation.runner import DEFAULT_GOLD, evaluate_gold

    questions = gold.load(DEFAULT_GOLD, "test")

    def figures(e):
        s = evaluate_gold(e, questions, systems=("hybrid",)).summary("hybrid")
        return {k: v for k, v in s.items() if not k.startswith("latency")}

    baseline = figures(engine)
    root = own_copy(tmp_path, index_dir, embedder, monkeypatch)
    add(f.decision_docx(tmp_path / "qd.docx"), "--title", "Quyết định về phòng, chống dịch cúm gia cầm",
        "--number", "41/QĐ-UBND", "--issuer", "UBND thành phố Hà Nội", "--signed", "2026-11-02")
    with_it = figures(engine_now(embedder))
    assert main(["documents", "remove", QD]) == 0
    assert figures(engine_now(embedder)) == baseline
    print("test split with the unrelated decision added:",
          {k: round(with_it[k], 3) for k in ("recall@3", "mrr@10", "offtopic_abstained", "wrong_abstained")},
          "baseline:", {k: round(baseline[k], 3) for k in ("recall@3", "mrr@10", "offtopic_abstained", "wrong_abstained")})
    assert root
