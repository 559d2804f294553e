"""Reviewed exchanges as gold questions, in the gold set's own format (retrieval/gold.py).

Each exchange whose officials agree becomes one question: *đúng* on an answer keeps the clause the
bot quoted as evidence; *sai, đoạn đúng là …* and *lẽ ra phải trả lời* keep the clause the
officials chose; *lẽ ra không trả lời*, and *đúng* on an abstention, make it an off-topic question.
Left out: disagreements, *đã lỗi thời* (no clause in the corpus answers it any more), inputs that
were not questions, and repeats of a question already written. The split says whether the bot
was fitted to the question: `dev` when its question went into the officials' FAQ (the bot has
seen it word for word), `test` otherwise, so `rulebot eval --gold FILE` (split test by default)
measures the bot on real questions it was not fitted to.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.text import has_diacritics, normalise

from .exchanges import ExchangeReader
from .reviews import ReviewStore, disagree

SKIPS = {
    "disagree": "officials disagree",
    "outdated": "rule no longer in force",
    "not_a_question": "not answered as a question (invalid input or error)",
    "no_clause": "judged correct but the quoted clause was not recorded",
    "duplicate": "same question and verdict as an earlier exchange",
    "missing": "the exchange is no longer in the log",
}


@dataclass
class ExportReport:
    records: list[dict]
    skipped: Counter = field(default_factory=Counter)

    @property
    def answerable(self) -> int:
        return sum(r["answerable"] for r in self.records)

    @property
    def offtopic(self) -> int:
        return len(self.records) - self.answerable


def gold_records(reader: ExchangeReader, store: ReviewStore) -> ExportReport:
    report = ExportReport([])
    current = store.current()
    promoted = store.promoted()
    exchanges = {x.id: x for x in reader.all()}
    seen = set()
    for xid, verdicts in sorted(current.items(), key=lambda kv: min(v.id for v in kv[1])):
        x = exchanges.get(xid)
        if x is None:
            report.skipped["missing"] += 1
            continue
        if disagree(verdicts):
            report.skipped["disagree"] += 1
            continue
        v = verdicts[-1]
        if v.verdict == "outdated":
            report.skipped["outdated"] += 1
            continue
        if x.status not in ("answered", "no_match"):
            report.skipped["not_a_question"] += 1
            continue
        if v.verdict == "should_abstain" or (v.verdict == "correct" and x.status == "no_match"):
            answerable, evidence = False, []
        elif v.clause is None:
            report.skipped["no_clause"] += 1
            continue
        else:
            answerable, evidence = True, [{"source_id": v.clause.source_id, "span": v.clause.span}]
        key = (normalise(x.question).lower(), answerable, json.dumps(evidence, ensure_ascii=False))
        if key in seen:
            report.skipped["duplicate"] += 1
            continue
        seen.add(key)
        report.records.append({
            "id": f"x-{xid}", "split": "dev" if xid in promoted else "test", "question": x.question,
            "answerable": answerable, "diacritics": has_diacritics(x.question), "topic": "review",
            "evidence": evidence, "exchange_id": xid, "channel": x.channel,
            "verdict": v.verdict, "officials": sorted({w.official for w in verdicts}),
            "reviewed_at": max(w.at for w in verdicts),
        })
    return report


def write_gold(report: ExportReport, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for rec in report.records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    return out
