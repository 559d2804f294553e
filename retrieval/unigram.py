"""XLM-R's unigram tokenizer, loaded from a compact copy of tokenizer.json.

Why: `tokenizers` builds a trie of the 250,002 pieces from a 17 MB JSON file: about 0.9 s and
280 MB resident in a serving process whose model weighs 120 MB. The Viterbi search a question
needs is a few hundred dictionary look-ups, so it is done here in Python over a plain dict of the
pieces (loaded from one binary blob), and `tokenizers` keeps the parts that are cheap and easy
to get subtly wrong: the normaliser (Nmt, NFKC, space runs) and the Metaspace pre-tokenizer.

It follows tokenizers' Unigram.encode step for step (best path by score, ties to the first
candidate found, an unknown character costs the lowest score less 10, runs of unknowns fused,
special tokens matched on the raw text first), so the ids are the same; onnx_export checks that
on the corpus, the FAQ and the gold questions before the export is accepted.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHELL = "tokenizer-compact.json"  # normaliser, pre-tokenizer, special tokens
PIECES = "tokenizer-pieces.npz"  # the pieces (one NUL-separated blob) and their scores
_UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY, as in sentencepiece


class TokenizerUnsupported(ValueError):
    """tokenizer.json uses a feature this reader does not reproduce."""


def write_compact(tokenizer_json: Path, out_dir: Path) -> None:
    """Split tokenizer.json into the two compact files (set-up only)."""
    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise TokenizerUnsupported("only a Unigram model without byte fallback is supported")
    added = spec.get("added_tokens") or []
    if any(t["normalized"] or t["single_word"] or t["rstrip"] for t in added):
        raise TokenizerUnsupported("added tokens must be matched on the raw text, not as words")
    pieces = [p for p, _ in model["vocab"]]
    if any("\0" in p for p in pieces):
        raise TokenizerUnsupported("a piece contains NUL")
    template = [list(step)[0] for step in spec["post_processor"]["single"]]
    if template != ["SpecialToken", "Sequence", "SpecialToken"]:
        raise TokenizerUnsupported("the post-processor must wrap a text as <bos> … <eos>")
    specials = spec["post_processor"]["special_tokens"]
    bos, eos = (specials[spec["post_processor"]["single"][i]["SpecialToken"]["id"]]["ids"][0] for i in (0, 2))
    shell = {
        "normalizer": spec["normalizer"], "pre_tokenizer": spec["pre_tokenizer"],
        "unk_id": model["unk_id"], "bos_id": bos, "eos_id": eos,
        "pad_id": next((t["id"] for t in added if t["content"] == "<pad>"), model["unk_id"]),
        "added": [{"content": t["content"], "id": t["id"], "lstrip": t["lstrip"]} for t in added],
    }
    (Path(out_dir) / SHELL).write_text(json.dumps(shell, ensure_ascii=False), encoding="utf-8")
    blob = np.frombuffer("\0".join(pieces).encode("utf-8"), dtype=np.uint8)
    np.savez(Path(out_dir) / PIECES, blob=blob, scores=np.array([s for _, s in model["vocab"]], np.float64))


@dataclass
class UnigramTokenizer:
    ids: dict[str, int]
    scores: list[float]
    unk_id: int
    bos_id: int
    eos_id: int
    pad_id: int
    added: dict[str, int]
    normalizer: object
    pre_tokenizer: object

    @classmethod
    def load(cls, directory: Path) -> "UnigramTokenizer":
        from tokenizers import Tokenizer

        shell = json.loads((Path(directory) / SHELL).read_text(encoding="utf-8"))
        with np.load(Path(directory) / PIECES) as z:
            pieces = z["blob"].tobytes().decode("utf-8").split("\0")
            scores = z["scores"].tolist()
        # A Tokenizer with a one-piece model, only to deserialise the normaliser and pre-tokenizer.
        stub = Tokenizer.from_str(json.dumps({
            "version": "1.0", "normalizer": shell["normalizer"], "pre_tokenizer": shell["pre_tokenizer"],
            "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]], "byte_fallback": False}}))
        tok = cls(ids=dict(zip(pieces, range(len(pieces)))), scores=scores, unk_id=shell["unk_id"],
                  bos_id=shell["bos_id"], eos_id=shell["eos_id"], pad_id=shell["pad_id"],
                  added={t["content"]: t["id"] for t in shell["added"]},
                  normalizer=stub.normalizer, pre_tokenizer=stub.pre_tokenizer)
        tok._unk_score = min(scores) - _UNK_PENALTY
        tok._max_len = max(map(len, pieces))
        # Special tokens are cut out of the raw text first; one with lstrip takes the spaces before it.
        alts = [(r"\s*" if t["lstrip"] else "") + re.escape(t["content"])
                for t in sorted(shell["added"], key=lambda t: -len(t["content"]))]
        tok._special = re.compile("(" + "|".join(alts) + ")") if alts else None
        return tok

    def encode(self, text: str, max_length: int = 512) -> list[int]:
        """<bos> pieces <eos>, truncated on the right to max_length ids in all."""
        ids: list[int] = []
        parts = self._special.split(text) if self._special else [text]
        for i, part in enumerate(parts):
            if i % 2:  # a special token
                ids.append(self.added[part.lstrip()])
            elif part:
                normalized = self.normalizer.normalize_str(part)
                for word, _ in self.pre_tokenizer.pre_tokenize_str(normalized):
                    ids.extend(self._viterbi(word))
        return [self.bos_id, *ids[:max_length - 2], self.eos_id]

    def _viterbi(self, word: str) -> list[int]:
        n, vocab, scores, longest = len(word), self.ids, self.scores, self._max_len
        best = [0.0] * (n + 1)
        start = [-1] * (n + 1)
        piece = [0] * (n + 1)
        for s in range(n):
            base, single = best[s], False
            for e in range(s + 1, min(n, s + longest) + 1):
                pid = vocab.get(word[s:e])
                if pid is None:
                    continue
                score = scores[pid] + base
                if start[e] < 0 or score > best[e]:
                    best[e], start[e], piece[e] = score, s, pid
                if e == s + 1:
                    single = True
            if not single:
                score = self._unk_score + base
                if start[s + 1] < 0 or score > best[s + 1]:
                    best[s + 1], start[s + 1], piece[s + 1] = score, s, self.unk_id
        out: list[int] = []
        end, unknown_end = n, None  # a run of unknown characters becomes one token
        while end > 0:
            s = start[end]
            if piece[end] == self.unk_id:
                unknown_end = unknown_end or end
            else:
                if unknown_end:
                    out.append(vocab.get(word[end:unknown_end], self.unk_id))
                    unknown_end = None
                out.append(piece[end])
            end = s
        if unknown_end:
            out.append(vocab.get(word[0:unknown_end], self.unk_id))
        out.reverse()
        return out
