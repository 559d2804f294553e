"""Asked today, the shipped documents are plainly said to date from 2021 (the real engine)."""
from datetime import date  # noqa: F401

from bot.render import render


def test_asked_today_the_shipped_documents_are_plainly_said_to_date_from_2021(engine):
    for question in ("Tôi có được ra ngoài không?", "toi co duoc ra ngoai khong"):
        got = engine.answer(question, as_of=None)
        assert got.status == "answered" and got.checked_on == date.today()
        assert all(c.status != "in_force" for c in got.citations)
        head = "\n".join(render(got).splitlines()[:2])
        assert "2021" in head and "có thể đã thay đổi" in head
        assert "Văn bản mới nhất" not in render(got)
