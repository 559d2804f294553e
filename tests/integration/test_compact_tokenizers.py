"""The compact stand-ins on the question path give exactly what the libraries they replace give:
unigram.py against `tokenizers`, vidiac.py against pyvi."""
from __future__ import annotations

import pytest

EDGE_CASES = [
    "", " ", "\t\n", "a", "  Hà   Nội  ", "Hà Nội", "Ha Noi", "query: <mask> a <s>b</s>  <unk>x<pad>",
    "passage: ﬁ ½ Å ～ ｆｕｌｌ", "emoji 😀🫠 ⁂ 😀😀😀 x", "Điều 3. F0 cách ly 7 ngày (theo 4567/UBND-KGVX).",
    "dài " * 700, "Do I need a negative PCR test to enter Hanoi?", "e\u0301 NFD", "\u200b zero\u00a0width",
]


@pytest.fixture(scope="module")
def tokenizers_pair(tmp_path_factory, model_dir):
    from tokenizers import Tokenizer

    from retrieval.unigram import UnigramTokenizer, write_compact

    out = tmp_path_factory.mktemp("unigram")
    write_compact(model_dir / "tokenizer.json", out)
    reference = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    reference.enable_truncation(512)
    return UnigramTokenizer.load(out), reference


def test_unigram_matches_tokenizers(tokenizers_pair):
    from retrieval import faq

    ours, reference = tokenizers_pair
    docs, entries = faq.curated()
    texts = EDGE_CASES + [q for e in entries[::5] for q in e.ask] + [d.text[:3000] for d in docs]
    for text in texts:
        assert ours.encode(text) == reference.encode(text).ids, repr(text[:80])
    assert len(ours.encode("dài " * 700)) == 512


def test_vidiac_matches_pyvi():
    from pyvi import ViUtils

    from retrieval import faq, vidiac
    from retrieval.text import fold

    _, entries = faq.curated()
    questions = [fold(q) for e in entries[::3] for q in e.ask] + ["Toi Co Duoc Ra Ngoai Khong?", "5k la gi"]
    for q in questions:
        assert vidiac.add_accents(q) == ViUtils.add_accents(q), q
