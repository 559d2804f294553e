"""Validity in the manifest: statuses on a day, and contradictions refused with the line at fault."""
from datetime import date
from pathlib import Path

import pytest

from retrieval import settings
from retrieval.corpus import Document, checksum, load_manifest
from retrieval.types import Source
from retrieval.validity import ValidityError, status

SHIPPED = {d.source.id: d.source for d in load_manifest(settings.DEFAULT_MANIFEST)}


def test_the_shipped_sources_record_only_what_their_texts_establish():
    ct17 = SHIPPED["hop-so-chi-huy-chi-thi-17-2021-07-28"]
    assert (ct17.kind, ct17.reports_on) == ("report", "Chỉ thị số 17/CT-UBND")
    assert (ct17.effective_from, ct17.effective_until) == (date(2021, 7, 24), date(2021, 8, 7))
    assert SHIPPED["chi-thi-quan-uy-ba-dinh-2021-07-31"].kind == "directive"
    others = [s for sid, s in SHIPPED.items() if sid != ct17.id]
    assert all(s.effective_from is None and s.effective_until is None and not s.superseded_by for s in others)
    day = date(2026, 11, 28)
    assert status(ct17, day, SHIPPED).code == "expired" and status(ct17, day, SHIPPED).since == date(2021, 8, 8)
    assert status(ct17, date(2021, 7, 30), SHIPPED).code == "in_force"
    assert {status(s, day, SHIPPED).code for s in others} == {"unknown"}


def src(sid, signed, **kw) -> Source:
    return Source(sid, f"Văn bản {sid}", kw.pop("kind", "directive"), "UBND", signed, "Hà Nội", **kw)


def test_status_on_days_either_side_of_each_date():
    old = src("old", date(2026, 1, 5), effective_from=date(2026, 1, 10), superseded_by="new")
    new = src("new", date(2026, 6, 1), effective_from=date(2026, 6, 15), supersedes=("old",))
    short = src("short", date(2026, 2, 1), effective_from=date(2026, 2, 1), effective_until=date(2026, 2, 28))
    docs = {s.id: s for s in (old, new, short)}
    assert status(old, date(2026, 1, 9), docs).code == "not_yet"
    assert status(old, date(2026, 6, 14), docs).code == "in_force"
    gone = status(old, date(2026, 6, 15), docs)
    assert (gone.code, gone.since, gone.superseded_by) == ("superseded", date(2026, 6, 15), "new")
    assert status(short, date(2026, 2, 28), docs).code == "in_force"
    assert (status(short, date(2026, 3, 1), docs).code, status(short, date(2026, 3, 1), docs).since) == (
        "expired", date(2026, 3, 1))
    assert status(src("bare", date(2021, 1, 1)), date(2026, 1, 1), {}).code == "unknown"


ENTRY = """[[source]]
id = "{id}"
file = "a.txt"
title = "T"
kind = "directive"
issuer = "UBND"
signed = {signed}
place = "Hà Nội"
{extra}
"""


def manifest(tmp_path: Path, *entries: str) -> Path:
    (tmp_path / "a.txt").write_text("Văn bản.", encoding="utf-8")
    p = tmp_path / "sources.toml"
    p.write_text("# test\n" + "\n".join(entries), encoding="utf-8")
    return p


@pytest.mark.parametrize("entries, message, line", [
    ([ENTRY.format(id="a", signed="2026-01-01", extra="effective_from = 2026-03-01\neffective_until = 2026-02-01")],
     "effective_until 2026-02-01 is before effective_from 2026-03-01", 11),
    ([ENTRY.format(id="a", signed="2026-01-01", extra='supersedes = ["b"]'),
      ENTRY.format(id="b", signed="2026-02-01", extra='supersedes = ["a"]')], "circle", None),
    ([ENTRY.format(id="a", signed="2026-01-01", extra='superseded_by = "nobody"')], "unknown document id 'nobody'", 10),
    ([ENTRY.format(id="a", signed="2026-01-01", extra='kind2 = 1'),
      ENTRY.format(id="b", signed="2026-02-01", extra='supersedes = ["a"]'),
      ENTRY.format(id="c", signed="2026-03-01", extra='supersedes = ["a"]')], "already replaced by 'b'", 30),
    ([ENTRY.format(id="a", signed="2026-05-01", extra=""),
      ENTRY.format(id="b", signed="2026-02-01", extra='supersedes = ["a"]')], "cannot replace the later", 20),
    ([ENTRY.format(id="a", signed="2026-05-01", extra='effective_from = "soon"')], "bad effective_from", None),
    ([ENTRY.format(id="a", signed="2026-05-01", extra="").replace('kind = "directive"', 'kind = "memo"')],
     "unknown kind 'memo'", None),
])
def test_contradictions_are_refused_naming_the_line(tmp_path, entries, message, line):
    path = manifest(tmp_path, *entries)
    with pytest.raises(ValidityError, match=message) as err:
        load_manifest(path)
    if line:
        assert f"{path}:{line}:" in str(err.value)


def test_replacement_is_two_way_whichever_side_states_it(tmp_path):
    path = manifest(tmp_path, ENTRY.format(id="a", signed="2026-01-01", extra=""),
                    ENTRY.format(id="b", signed="2026-02-01", extra='supersedes = ["a"]\neffective_from = 2026-02-10'))
    docs = {d.source.id: d.source for d in load_manifest(path)}
    assert docs["a"].superseded_by == "b" and docs["b"].supersedes == ("a",)
    assert status(docs["a"], date(2026, 2, 10), docs).code == "superseded"


def test_retiring_or_replacing_leaves_the_index_checksum_alone_but_a_title_does_not():
    docs = load_manifest(settings.DEFAULT_MANIFEST)
    from dataclasses import replace
    retired = [Document(replace(d.source, effective_until=date(2022, 1, 1)), d.text) for d in docs]
    assert checksum(retired) == checksum(docs)
    renamed = [Document(replace(docs[0].source, title="Khác"), docs[0].text)] + docs[1:]
    assert checksum(renamed) != checksum(docs)


def test_a_source_round_trips_through_its_dict_and_reads_older_rows():
    s = src("x", date(2026, 1, 1), effective_until=date(2026, 3, 1), supersedes=("a", "b"), reports_on="CT 1")
    assert Source.from_dict(s.to_dict()) == s
    row = {**s.to_dict(), "supersedes": '["a", "b"]', "amends": None, "description": None}
    assert Source.from_dict(row) == s
    old = {"id": "o", "title": "T", "kind": "chỉ thị", "issuer": "U", "date": "2021-07-31", "place": "HN",
           "number": None, "path": "p"}
    assert Source.from_dict(old).effective_from is None and Source.from_dict(old).supersedes == ()
