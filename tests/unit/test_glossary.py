"""The residents' vocabulary: what a question's words are called in the directives."""
from __future__ import annotations

import glob

import pytest

from retrieval import settings
from retrieval.glossary import Glossary, GlossaryError
from retrieval.text import fold, words


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "glossary.toml"
    path.write_text('''
[[term]]
say = ["app", "phần mềm"]
means = ["ứng dụng công nghệ"]

[[term]]
say = ["bị sốt", "sốt"]
means = ["khám chữa bệnh"]

[[term]]
say = ["xe", "bộ đội"]
means = ["phương tiện", "quân đội"]
''', encoding="utf-8")
    return Glossary.load(path)


def test_a_resident_word_brings_the_documents_phrase(small):
    assert small.expand("Có phải cài app chống dịch không?") == ("ứng dụng công nghệ",)
    assert small.expand("dung phan mem nao") == ("ứng dụng công nghệ",)


def test_a_question_with_diacritics_is_matched_with_them(small):
    assert small.expand("Con tôi bị sốt thì đi đâu?") == ("khám chữa bệnh",)
    assert small.expand("Có bỏ sót F1 không?") == ()  # "sót" is not "sốt"
    assert small.expand("co bo sot F1 ko") == ("khám chữa bệnh",)  # typed bare, the two cannot be told apart


def test_a_bare_one_word_phrase_that_other_corpus_words_fold_onto_needs_diacritics(small):
    knowing = small.for_corpus(["Không để bỏ sót F1.", "Xe cứu thương được ưu tiên."])
    assert knowing.expand("co bo sot F1 ko") == ()  # "sot" here is far more likely "sót"
    assert knowing.expand("Có bỏ sốt F1 không?") == ("khám chữa bệnh",)  # with diacritics: as written
    assert knowing.expand("bi sot thi di dau") == ("khám chữa bệnh",)  # "bị sốt": two words, still clear
    assert knowing.expand("xe cuu thuong") == ("phương tiện", "quân đội")  # no other word folds to "xe"




def test_only_whole_words_match(small):
    assert small.expand("Xem tin ở đâu?") == ()
    assert small.expand("Xe chở hàng có được đi không?") == ("phương tiện", "quân đội")


def test_phrases_the_question_already_uses_are_not_added(small):
    assert small.expand("bộ đội với quân đội có trực chốt không") == ("phương tiện",)


def test_no_path_means_no_glossary():
    assert Glossary.load("").expand("app") == ()


@pytest.mark.parametrize("text, message", [
    ('[[term]]\nsay = ["app"]\n', "entry 1 needs non-empty 'say' and 'means'"),
    ('[[term]]\nsay = ["a"]\nmeans = ["b"]\n[[term]]\nsay = []\nmeans = ["c"]\n', "entry 2"),
    ('[[term]]\nsay = "app"\nmeans = ["b"]\n', "entry 1"),
    ('[[term]\nsay = ["a"]', "not valid TOML"),
])
def test_a_broken_glossary_is_refused_with_the_entry_named(tmp_path, text, message):
    path = tmp_path / "g.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlossaryError, match=message):
        Glossary.load(path)


def test_a_missing_glossary_is_refused(tmp_path):
    with pytest.raises(GlossaryError, match="Cannot read the glossary"):
        Glossary.load(tmp_path / "nope.toml")


def test_the_shipped_glossary_only_points_at_words_the_documents_use():
    vocabulary = set()
    for path in glob.glob(str(settings.REPO / "data" / "sources" / "*.txt")):
        vocabulary |= set(words(fold(open(path, encoding="utf-8").read())))
    glossary = Glossary.load(settings.DEFAULT_GLOSSARY)
    assert len(glossary.terms) >= 30
    dead = [m for t in glossary.terms for m in t.means if not set(words(fold(m))) <= vocabulary]
    assert dead == []


def test_the_shipped_glossary_is_for_the_shipped_documents_only(monkeypatch):
    monkeypatch.delenv("RULEBOT_GLOSSARY", raising=False)
    assert settings.glossary_path() == str(settings.DEFAULT_GLOSSARY)
    assert settings.glossary_path(default_corpus=False) == ""  # another corpus has its own wording
    monkeypatch.setenv("RULEBOT_GLOSSARY", "")
    assert settings.glossary_path() == ""
    monkeypatch.setenv("RULEBOT_GLOSSARY", "/srv/their-glossary.toml")
    assert settings.glossary_path(default_corpus=False) == "/srv/their-glossary.toml"








def test_the_words_an_index_keeps_give_the_same_glossary_as_reading_the_clauses(small):
    from retrieval.glossary import corpus_words

    texts = ["Không để bỏ sót F1.", "Xe cứu thương được ưu tiên.", "XE  cứu\u00a0thương, Ưu tiên!"]
    kept = corpus_words(texts)
    assert kept == {w for t in texts for w in words(t.lower())}
    assert small.for_words(kept) == small.for_corpus(texts)
