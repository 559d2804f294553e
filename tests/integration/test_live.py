"""A running engine picks up a new index generation and a retirement without a restart, and keeps
answering while it does."""
import shutil
import threading
from datetime import date

from bot.cli import main
from retrieval.live import LiveEngine
from tests import doc_files as f
from test_documents_index import QD, engine_now, use


def test_a_running_engine_follows_added_and_retired_documents_without_dropping_a_question(
        tmp_path, index_dir, embedder, monkeypatch):
    shutil.copytree(index_dir, tmp_path / "index")
    use(monkeypatch, tmp_path, embedder)
    live = LiveEngine(engine_now(embedder), tmp_path / "index", check_every=0)
    question = "Có được bán gia cầm sống ở chợ nội thành không?"
    assert QD not in live.index.sources

    statuses, errors, stop = [], [], threading.Event()

    def keep_asking():
        while not stop.is_set():
            try:
                statuses.append(live.answer("Tôi có được ra ngoài không?").status)
            except Exception as e:  # noqa: BLE001 - any failure is a dropped question
                errors.append(e)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        assert main(["documents", "add", str(f.decision_docx(tmp_path / "qd.docx")), "--title",
                     "Quyết định về phòng, chống dịch cúm gia cầm", "--number", "41/QĐ-UBND", "--issuer",
                     "UBND thành phố Hà Nội", "--signed", "2026-11-02", "--effective-from", "2026-11-02"]) == 0
        live.answer(question)  # notices the new generation; loads it in the background
        live.wait(120)
    finally:
        stop.set()
        asker.join()
    assert not errors and statuses and set(statuses) == {"answered"}
    assert live.reloads == 1
    got = live.answer(question, as_of=date(2026, 12, 1))
    assert got.main.source.id == QD and got.main.status == "in_force"

    assert main(["documents", "retire", QD, "--until", "2026-12-31"]) == 0
    got = live.answer(question, as_of=date(2027, 1, 2))
    assert got.main.source.id == QD and got.main.status == "expired" and live.reloads == 1
