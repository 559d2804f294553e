"""The ViCoV19QA benchmark command's plumbing, on a tiny made-up collection in its file format."""
import pytest

from retrieval.evaluation import vicov19qa as vq
from retrieval.corpus import CorpusError
from retrieval.engine import Engine
from retrieval.index import load
from retrieval.search import Retriever

TRAIN = ('id|Question|Answer_1\n'
         '1|Tiêm vắc xin xong có được uống rượu không?|"Sau khi tiêm vắc xin, không nên uống rượu bia\ntrong vài ngày."\n'
         '2|Khẩu trang vải có dùng lại được không?|Khẩu trang vải giặt sạch thì dùng lại được.\n'
         '3|Trẻ em có phải đeo khẩu trang không?|Trẻ trên 2 tuổi nên đeo khẩu trang nơi đông người.\n')
VAL = ('id|Question|Answer_1\n'
       '4|Uống rượu sau khi tiêm được không?|"Sau khi tiêm vắc xin, không nên uống rượu bia\ntrong vài ngày."\n'
       '5|F0 cách ly tại nhà bao nhiêu ngày?|F0 cách ly tại nhà ít nhất 7 ngày.\n')


@pytest.fixture
def data(tmp_path):
    (tmp_path / vq.FILES["train"]).write_text(TRAIN, encoding="utf-8")
    (tmp_path / vq.FILES["val"]).write_text(VAL, encoding="utf-8")
    return tmp_path


def test_pairs_are_read_with_multiline_answers_and_identical_answers_become_one_passage(data):
    train = vq.read_pairs(data / vq.FILES["train"], "train")
    val = vq.read_pairs(data / vq.FILES["val"], "val")
    assert [p.id for p in train] == ["1", "2", "3"] and "\n" in train[0].answer
    docs, passage_of = vq.passages(train + val)
    assert len(docs) == 4 and passage_of["4"] == passage_of["1"] == "1"


def test_a_missing_or_malformed_file_says_what_is_wrong(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        vq.read_pairs(tmp_path / "none.csv", "val")
    bad = tmp_path / "bad.csv"
    bad.write_text("a|b\n1|2\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="id|Question|Answer_1"):
        vq.read_pairs(bad, "val")


def test_questions_find_their_own_answer_and_the_weight_is_chosen_on_training_questions(data, tmp_path, embedder):
    train = vq.read_pairs(data / vq.FILES["train"], "train")
    val = vq.read_pairs(data / vq.FILES["val"], "val")
    docs, passage_of = vq.passages(train + val)
    built, reused = vq.ensure_index(docs, tmp_path / "work", embedder, reuse=False, log=lambda s: None)
    assert not reused and built["documents"] == 4
    index = load(tmp_path / "work" / "index", model=embedder.name)
    engine = Engine(index, Retriever(index, embedder))
    texts = {d["id"]: d["text"] for d in docs}
    weight, scores = vq.tune_fusion(engine, train, passage_of, texts, log=lambda s: None)
    assert set(scores) == {(w, sw) for w in vq.WEIGHTS for sw in vq.SECTIONS} and weight in scores
    assert (engine.retriever.ranking.dense_weight, engine.retriever.ranking.section_weight) == weight
    assert engine.retriever.ranking.coverage_boost == vq.BOOST
    ev = vq.evaluate(engine, val, passage_of, texts)
    s = ev.summary("hybrid")
    assert s["n_answerable"] == 2 and s["recall@1"] == 1.0  # a tiny, easy collection
    # the whole-passage baseline: every answer here is one section, read whole
    baseline = vq.whole_passage(engine, val, passage_of, docs)
    assert set(baseline) == {f"whole-passage {w:.1f}" for w in vq.BASELINE_WEIGHTS}
    for outcomes in baseline.values():
        assert len(outcomes) == 2 and all(o.rank == 1 for o in outcomes)
