"""Specification of the gold question set in data/gold/questions.jsonl.

Each line is one question a Hanoi resident might type to the bot, with the
verbatim span(s) of the source text that answer it (or no evidence at all for
off-topic questions).  These tests pin down the format and the coverage the
set must keep; they use only the standard library.
"""

import hashlib
import json
import re
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "data" / "gold" / "questions.jsonl"
MANIFEST = ROOT / "data" / "sources.toml"

FIELDS = {"id", "split", "question", "answerable", "diacritics", "topic", "evidence"}
TOPICS = {
    "movement", "checkpoints", "testing_quarantine", "vaccination",
    "support_payments", "businesses_markets_industry", "officials_responsibility",
    "slogans", "healthcare_capacity", "information_reporting", "other", "offtopic",
}
SPLITS = {"dev", "test"}
SPAN_MIN, SPAN_MAX = 25, 250

# Web boilerplate the bot strips before indexing: spans must never come from it.
# Everything from these markers to the end of the file (related headlines in
# 001, recipients list and signature block in 004).
TAIL_MARKERS = {
    "thuong-truc-thanh-uy-lam-viec-2021-05-10": "Có thể bạn quan tâm",
    "chi-thi-quan-uy-ba-dinh-2021-07-31": "Noi nhận",
}
# Whole lines that are bylines or speaker attributions.
BOILERPLATE_LINES = {
    "Hải Hà",
    "Ông Nguyễn Văn Phong",
    "Phó Bí thư Thành ủy Hà Nội",
    "Ông Chu Ngọc Anh",
    "Chủ tịch UBND TP. Hà Nội",
}
# Substrings that only occur in boilerplate (photo captions, byline prefix).
BOILERPLATE_SNIPPETS = ("(Ảnh:", "TPO - ", "Tin khác", "Nên xem")

# sha256 of the test split's lines, in file order, joined by "\n" (104 questions since 2026-11).
TEST_SPLIT_SHA256 = "2753b66d429ccd745cca45688aad7ae96d88c561e3d10fc86fa3a7a5f9ecf4c7"

REQUIRED_TEST_QUESTIONS = {"Tôi có được ra ngoài không?", "toi co duoc ra ngoai khong"}


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


@pytest.fixture(scope="module")
def sources():
    with MANIFEST.open("rb") as fh:
        manifest = tomllib.load(fh)
    out = {}
    for entry in manifest["source"]:
        out[entry["id"]] = (ROOT / "data" / entry["file"]).read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def raw_lines():
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


@pytest.fixture(scope="module")
def rows(raw_lines):
    return [json.loads(line) for line in raw_lines]


@pytest.fixture(scope="module")
def answerable(rows):
    return [r for r in rows if r["answerable"]]


@pytest.fixture(scope="module")
def offtopic(rows):
    return [r for r in rows if not r["answerable"]]


def sources_of(row):
    return {ev["source_id"] for ev in row["evidence"]}


# --------------------------------------------------------------------------- format

def test_every_line_is_a_json_object_with_the_required_fields(raw_lines):
    assert raw_lines, "gold set is empty"
    for n, line in enumerate(raw_lines, 1):
        row = json.loads(line)
        assert isinstance(row, dict), f"line {n} is not an object"
        assert set(row) == FIELDS, f"line {n}: fields {sorted(row)}"
        assert isinstance(row["question"], str) and row["question"].strip()
        assert isinstance(row["answerable"], bool)
        assert isinstance(row["diacritics"], bool)
        assert isinstance(row["evidence"], list)
        for ev in row["evidence"]:
            assert set(ev) == {"source_id", "span"}, f"line {n}: evidence {ev}"
            assert isinstance(ev["span"], str)


def test_file_is_nfc_and_not_ascii_escaped(raw_lines):
    for n, line in enumerate(raw_lines, 1):
        assert unicodedata.normalize("NFC", line) == line, f"line {n} is not NFC"
        assert "\\u" not in line, f"line {n} was written with ensure_ascii=True"


def test_ids_are_unique_and_well_formed(rows):
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    for i in ids:
        assert re.fullmatch(r"q\d{3,}", i), i


def test_questions_are_not_duplicated(rows):
    norm = [" ".join(r["question"].casefold().split()) for r in rows]
    dupes = [q for q, c in Counter(norm).items() if c > 1]
    assert not dupes, dupes


def test_split_and_topic_values(rows):
    for r in rows:
        assert r["split"] in SPLITS, (r["id"], r["split"])
        assert r["topic"] in TOPICS, (r["id"], r["topic"])


def test_answerable_offtopic_and_evidence_agree(rows):
    for r in rows:
        if r["answerable"]:
            assert r["evidence"], f"{r['id']}: answerable question without evidence"
            assert r["topic"] != "offtopic", r["id"]
        else:
            assert r["evidence"] == [], f"{r['id']}: unanswerable question with evidence"
            assert r["topic"] == "offtopic", r["id"]


# --------------------------------------------------------------------------- evidence

def test_every_source_id_exists(answerable, sources):
    for r in answerable:
        for ev in r["evidence"]:
            assert ev["source_id"] in sources, (r["id"], ev["source_id"])


def test_every_span_is_verbatim_in_its_source(answerable, sources):
    for r in answerable:
        for ev in r["evidence"]:
            span = ev["span"]
            assert unicodedata.normalize("NFC", span) == span, r["id"]
            assert span in sources[ev["source_id"]], (r["id"], ev["source_id"], span)


def test_spans_have_a_sensible_length_and_stay_within_one_paragraph(answerable):
    for r in answerable:
        for ev in r["evidence"]:
            span = ev["span"]
            assert SPAN_MIN <= len(span) <= SPAN_MAX, (r["id"], len(span), span)
            assert "\n" not in span, (r["id"], span)
            assert span == span.strip(), (r["id"], span)


def _occurrences(text, span):
    start = text.find(span)
    while start != -1:
        yield start
        start = text.find(span, start + 1)


def test_spans_never_come_from_web_boilerplate(answerable, sources):
    for r in answerable:
        for ev in r["evidence"]:
            sid, span = ev["source_id"], ev["span"]
            text = sources[sid]
            for snippet in BOILERPLATE_SNIPPETS:
                assert snippet not in span, (r["id"], snippet)
            for start in _occurrences(text, span):
                marker = TAIL_MARKERS.get(sid)
                if marker is not None:
                    assert marker in text, f"marker {marker!r} missing from {sid}"
                    assert start < text.index(marker), (r["id"], "span after " + marker)
                line_start = text.rfind("\n", 0, start) + 1
                line_end = text.find("\n", start)
                line = text[line_start:] if line_end == -1 else text[line_start:line_end]
                # Headline lists and photo captions are lines ending with "|".
                assert not line.rstrip().endswith("|"), (r["id"], "span in headline/caption line")
                assert line.strip() not in BOILERPLATE_LINES, (r["id"], "span in byline/attribution")


# --------------------------------------------------------------------------- diacritics

def test_diacritics_flag_matches_the_question_text(rows):
    for r in rows:
        q = r["question"]
        has_marks = strip_diacritics(q) != q
        if r["diacritics"]:
            assert has_marks, f"{r['id']}: marked diacritics=true but typed without: {q!r}"
        else:
            assert not has_marks, f"{r['id']}: marked diacritics=false but has marks: {q!r}"


def test_enough_questions_are_typed_without_diacritics(answerable, offtopic):
    bare = sum(not r["diacritics"] for r in answerable)
    assert bare / len(answerable) >= 0.30, f"{bare}/{len(answerable)} answerable without diacritics"
    bare_off = sum(not r["diacritics"] for r in offtopic)
    assert bare_off / len(offtopic) >= 0.25, f"{bare_off}/{len(offtopic)} off-topic without diacritics"


# --------------------------------------------------------------------------- coverage

def test_size(answerable, offtopic):
    assert len(answerable) >= 100, len(answerable)
    assert len(offtopic) >= 30, len(offtopic)


def test_every_source_has_at_least_12_questions(answerable, sources):
    counts = Counter(sid for r in answerable for sid in sources_of(r))
    for sid in sources:
        assert counts[sid] >= 12, (sid, counts[sid])


def test_every_topic_is_used(rows):
    used = {r["topic"] for r in rows}
    assert used == TOPICS, TOPICS - used


def test_the_test_split_is_frozen(raw_lines):
    """Reported figures compare across time only if the test questions never change. New
    questions go to dev; changing a test line (even its wording) must be a deliberate act."""
    test = [line for line in raw_lines if json.loads(line)["split"] == "test"]
    assert len(test) == 104
    digest = hashlib.sha256("\n".join(test).encode("utf-8")).hexdigest()
    assert digest == TEST_SPLIT_SHA256


def test_dev_is_at_least_as_large_as_test(rows):
    dev = sum(r["split"] == "dev" for r in rows)
    assert dev >= len(rows) - dev, f"{dev}/{len(rows)} in dev"


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_each_split_is_stratified(rows, sources, split):
    part = [r for r in rows if r["split"] == split]
    covered = set().union(*(sources_of(r) for r in part))
    assert covered == set(sources), set(sources) - covered
    part_answerable = [r for r in part if r["answerable"]]
    assert {r["diacritics"] for r in part_answerable} == {True, False}
    part_off = [r for r in part if not r["answerable"]]
    assert part_off, f"no off-topic questions in {split}"
    assert {r["diacritics"] for r in part_off} == {True, False}


def test_required_questions_are_in_the_test_split(rows):
    by_question = {r["question"]: r for r in rows}
    for q in REQUIRED_TEST_QUESTIONS:
        assert q in by_question, q
        assert by_question[q]["split"] == "test", q
        assert by_question[q]["answerable"], q
