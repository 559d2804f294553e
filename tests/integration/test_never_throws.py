"""Whatever a resident types, the engine answers with an Answer and search with a Result: never an
exception (issue 14: pyvi raised KeyError on an ordinary question typed without diacritics)."""
from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import render
from retrieval.text import fold
from retrieval.types import Answer

# Vietnamese-like syllables: onsets, vowels with and without their marks, codas.
ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p",
          "ph", "qu", "r", "s", "t", "th", "tr", "v", "x"]
VOWELS = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "oa", "oi", "uy", "ươ", "iê",
          "á", "à", "ả", "ã", "ạ", "ế", "ề", "ộ", "ớ", "ừ", "ý", "ươi", "uô", "oe"]
CODAS = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"]
syllable = st.builds(lambda o, v, c: o + v + c, st.sampled_from(ONSETS), st.sampled_from(VOWELS),
                     st.sampled_from(CODAS))
vietnamese_like = st.lists(syllable, min_size=1, max_size=25).map(" ".join) | \
    st.lists(syllable, min_size=1, max_size=25).map(lambda ws: fold(" ".join(ws)))  # typed without diacritics
anything = st.text(max_size=300) | st.text(alphabet=string.printable, max_size=3000) | vietnamese_like | \
    st.sampled_from(["", " ", "\x00", "?" * 5000, "🙂" * 50, "a" * 1001, "\u200b\u200b", "ＴＯＩ ＣＯ"])

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(anything)
def test_the_engine_always_answers(engine, text):
    answer = engine.answer(text)
    assert isinstance(answer, Answer) and answer.status in ("answered", "no_match", "invalid", "small_talk")
    assert render(answer)  # and it reads as something
    if answer.main:
        assert answer.main.quote in engine.index.texts[answer.main.source.id]


@FAST
@given(anything, st.sampled_from(["hybrid", "dense", "lexical"]))
def test_search_always_returns_a_result(engine, text, mode):
    if not text.strip():
        return
    result = engine.search(text, k=3, mode=mode)
    assert len(result.hits) <= 3 and isinstance(result.abstained, bool)
