"""The records that cross module boundaries: corpus → index → answer → channel."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date

# Source fields that say when a document holds (retrieval.validity); they change when a document
# is retired or replaced, which must not touch the index, so the corpus checksum leaves them out.
VALIDITY_FIELDS = ("effective_from", "effective_until", "supersedes", "superseded_by", "amends")
_DATES = ("date", "effective_from", "effective_until")
_IDS = ("supersedes", "amends")


@dataclass(frozen=True)
class Source:
    """One document of the corpus, as curated by hand in the manifest.

    `date` is the day it was signed or issued (a news report: the day it reports); `kind` is one
    of retrieval.validity.KINDS for manifests (directive, decision, letter, report), with the
    human wording in `description`. `reports_on` names the rule a news report is about.
    """

    id: str
    title: str
    kind: str
    issuer: str
    date: date | None
    place: str
    number: str | None = None
    path: str = ""
    description: str = ""
    effective_from: date | None = None
    effective_until: date | None = None  # the last day in force, when known
    supersedes: tuple[str, ...] = ()
    superseded_by: str | None = None
    amends: tuple[str, ...] = ()
    reports_on: str | None = None

    @property
    def signed(self) -> date | None:
        return self.date

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in _DATES:
            d[k] = d[k].isoformat() if d[k] else None
        for k in _IDS:
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Source":
        """The inverse of to_dict; also reads rows of an index built before a field existed,
        and id lists stored as JSON text (SQLite)."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        for k in _DATES:
            d[k] = date.fromisoformat(d[k]) if d.get(k) else None
        for k in _IDS:
            v = d.get(k) or ()
            d[k] = tuple(json.loads(v) if isinstance(v, str) else v)
        for k in ("description",):
            d[k] = d.get(k) or ""
        return cls(**d)


@dataclass(frozen=True)
class Chunk:
    """A clause of a source: `text == original_file_text[start:end]`, always."""

    id: str
    source_id: str
    start: int
    end: int
    text: str
    location: str
    heading: str | None = None


@dataclass(frozen=True)
class Hit:
    """A chunk retrieved for a question, with the fused score that ranked it."""

    chunk: Chunk
    score: float
    rank: int
    confident: bool = True  # clears the abstention bar on its own, and gives any figure asked for


@dataclass(frozen=True)
class Citation:
    """A verbatim quote (≤ ~400 chars, checked against the file) and where it comes from."""

    quote: str
    source: Source
    location: str
    chunk_id: str
    start: int
    end: int
    score: float
    # The sentence of the quote that says most of what was asked, as offsets into `quote`:
    # where a shortened quote is cut around, so the words the resident asked about stay visible.
    focus: tuple[int, int] | None = None
    # Whether the cited document holds on the day asked (retrieval.validity.STATUSES), from when
    # (`status_since`: took effect, lapsed or was replaced on that day), and what replaced it.
    status: str = "unknown"
    status_since: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    superseded_by: str | None = None
    replacement: Source | None = None  # the replacing document, when the index holds it


@dataclass(frozen=True)
class Answer:
    """What the engine says to a question. Channels only render this.

    status: "answered" (main is set), "no_match" (abstained: no rule found), "small_talk" (a
    greeting, thanks, "bạn là ai"…: answered with what the bot can do, never a quote; `notice` is
    the kind from `smalltalk.small_talk_kind`), or "invalid" (the input could not be treated as a
    question; `notice` is the reason code of `answer.check_question`: "empty", "too_long" or
    "no_letters").
    """

    question: str
    status: str
    main: Citation | None = None
    more: tuple[Citation, ...] = field(default_factory=tuple)
    notice: str | None = None
    as_of: date | None = None
    missing: str | None = None  # no_match because no clause gives the figure asked for (answer_kind)
    margin: float | None = None  # the best clause's distance above (≥ 0) or below the abstention bar
    # no_match because the closest clause names another one ("mũi 3" asked, "mũi 2" given: numbered)
    other: tuple[str, str] | None = None
    checked_on: date | None = None  # the day the citations' status was worked out for (as_of or today)

    @property
    def abstained(self) -> bool:
        return self.status != "answered"

    @property
    def citations(self) -> tuple[Citation, ...]:
        return ((self.main,) if self.main else ()) + self.more

    def to_dict(self) -> dict:
        def cite(c: Citation) -> dict:
            d = asdict(c)
            d["source"] = c.source.to_dict()
            d["replacement"] = c.replacement.to_dict() if c.replacement else None
            for k in ("status_since", "effective_from", "effective_until"):
                d[k] = d[k].isoformat() if d[k] else None
            return d

        return {
            "question": self.question,
            "status": self.status,
            "abstained": self.abstained,
            "notice": self.notice,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "missing": self.missing,
            "other": list(self.other) if self.other else None,
            "margin": self.margin,
            "checked_on": self.checked_on.isoformat() if self.checked_on else None,
            "main": cite(self.main) if self.main else None,
            "more": [cite(c) for c in self.more],
        }
