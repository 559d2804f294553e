"""pyvi's diacritic restorer (ViUtils.add_accents), run on python-crfsuite directly.

pyvi reaches its CRF model through sklearn-crfsuite, which imports scikit-learn and SciPy:
1-3 s of a serving process's start, for a model whose tagger is a 40 ms import of pycrfsuite.
This is pyvi 0.1.1's ViDiac (MIT, Trung Viet Tran) with the same features, the same model file
and the same decoding, minus that detour; tests/test_vidiac.py checks it answers exactly as
pyvi does. Only the question path uses it; indexing keeps pyvi's word segmenter.
"""
from __future__ import annotations

import string
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

_ACCENTED = [
    7845, 7847, 7849, 7851, 7853, 226, 225, 224, 7843, 227, 7841, 7855, 7857, 7859, 7861, 7863, 259,
    250, 249, 7911, 361, 7909, 7913, 7915, 7917, 7919, 7921, 432, 7871, 7873, 7875, 7877, 7879, 234,
    233, 232, 7867, 7869, 7865, 7889, 7891, 7893, 7895, 7897, 244, 243, 242, 7887, 245, 7885, 7899,
    7901, 7903, 7905, 7907, 417, 237, 236, 7881, 297, 7883, 253, 7923, 7927, 7929, 7925, 273, 7844,
    7846, 7848, 7850, 7852, 194, 193, 192, 7842, 195, 7840, 7854, 7856, 7858, 7860, 7862, 258, 218,
    217, 7910, 360, 7908, 7912, 7914, 7916, 7918, 7920, 431, 7870, 7872, 7874, 7876, 7878, 202, 201,
    200, 7866, 7868, 7864, 7888, 7890, 7892, 7894, 7896, 212, 211, 210, 7886, 213, 7884, 7898, 7900,
    7902, 7904, 7906, 416, 205, 204, 7880, 296, 7882, 221, 7922, 7926, 7928, 7924, 272]
_TELEX = [
    "aas", "aaf", "aar", "aax", "aaj", "aa", "as", "af", "ar", "ax", "aj", "aws", "awf", "awr", "awx",
    "awj", "aw", "us", "uf", "ur", "ux", "uj", "uws", "uwf", "uwr", "uwx", "uwj", "uw", "ees", "eef",
    "eer", "eex", "eej", "ee", "es", "ef", "er", "ex", "ej", "oos", "oof", "oor", "oox", "ooj", "oo",
    "os", "of", "or", "ox", "oj", "ows", "owf", "owr", "owx", "owj", "ow", "is", "if", "ir", "ix",
    "ij", "ys", "yf", "yr", "yx", "yj", "dd", "AAS", "AAF", "AAR", "AAX", "AAJ", "AA", "AS", "AF",
    "AR", "AX", "AJ", "AWS", "AWF", "AWR", "AWX", "AWJ", "AW", "US", "UF", "UR", "UX", "UJ", "UWS",
    "UWF", "UWR", "UWX", "UWJ", "UW", "EES", "EEF", "EER", "EEX", "EEJ", "EE", "ES", "EF", "ER", "EX",
    "EJ", "OOS", "OOF", "OOR", "OOX", "OOJ", "OO", "OS", "OF", "OR", "OX", "OJ", "OWS", "OWF", "OWR",
    "OWX", "OWJ", "OW", "IS", "IF", "IR", "IX", "IJ", "YS", "YF", "YR", "YX", "YJ", "DD"]
_FROM_TELEX = {t: chr(c) for c, t in zip(_ACCENTED, _TELEX)}


def _model_file() -> Path:
    spec = find_spec("pyvi")  # locate pyvi's model without importing pyvi (which imports sklearn)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pyvi is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "vidiac.crfsuite"


@lru_cache(maxsize=1)
def _tagger():
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(_model_file()))
    return tagger


def load() -> None:
    """Open the model now, so the first question does not pay for it."""
    _tagger()


def _inner(tokens: list[str], i: int):
    yield "current_char_{}", tokens[i].lower()
    yield "is_digit_", tokens[i].isdigit()
    yield "is_punc_", tokens[i] in string.punctuation
    left = i
    while left > 0 and tokens[left] != " ":
        left -= 1
        yield f"{left - i}_char_", tokens[left]
        yield f"{left - i}_isdigit_", tokens[left].isdigit()
        yield f"{left - i}_ispunct_", tokens[left] in string.punctuation
    right = i
    while right < len(tokens) - 1 and tokens[right] != " ":
        right += 1
        yield f"{right - i}_char_", tokens[right]
        yield f"{right - i}_isdigit_", tokens[right].isdigit()
        yield f"{right - i}_ispunct_", tokens[right] in string.punctuation
    if left != right:
        yield "inner_word_", "".join(tokens[left:right])


def _left(tokens: list[str], i: int, max_space: int = 2):
    words, last, left = 0, i, i
    while words < max_space and left > 0:
        left -= 1
        if tokens[left] == " " or left == 0:
            words += 1
            if words == 1:
                last = left
            else:
                yield f"{1 - words}_word_", "".join(tokens[left + 1:last])
                last = left
        if tokens[left] in ".!?":
            break


def _right(tokens: list[str], i: int, max_space: int = 2):
    words, last, right = 0, i, i
    while words < max_space and right < len(tokens) - 1:
        right += 1
        if tokens[right] == " " or right == len(tokens):
            words += 1
            if words == 1:
                last = right
            else:
                yield f"{words - 1}_word_", "".join(tokens[last + 1:right])
                last = right
        if tokens[right] in ".!?":
            break


def _features(tokens: list[str], i: int) -> dict:
    features: dict = {"bias": 1.0}
    for gen in (_inner(tokens, i), _left(tokens, i), _right(tokens, i)):
        for key, value in gen:
            features[key] = value
    return features


def add_accents(text: str) -> str:
    """The same string pyvi.ViUtils.add_accents returns."""
    chars = list(text.lower())
    labels = _tagger().tag([_features(chars, i) for i in range(len(chars))])
    out = []
    for ch, label in zip(chars, labels):
        if label == "L":
            out.append(ch)
        elif label == "U":
            out.append(ch.upper())
        else:
            upper, telex = False, ch
            for mark in label:
                if mark == "U":
                    upper = True
                elif mark == "L":
                    continue
                elif mark == "m":
                    telex += telex
                else:
                    telex += mark
            out.append(_FROM_TELEX[telex.upper() if upper else telex])
    return "".join(out)
