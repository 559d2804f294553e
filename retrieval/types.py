"""The records that cross module boundaries: corpus → index → answer → channel."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class Source:
    """One document of the corpus, as curated by hand in the manifest."""

    id: str
    title: str
    kind: str
    issuer: str
    date: date | None
    place: str
    number: str | None = None
    path: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Source":
        d = dict(d)
        d["date"] = date.fromisoformat(d["date"]) if d.get("date") else None
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
            return d

        return {
            "question": self.question,
            "status": self.status,
            "abstained": self.abstained,
            "notice": self.notice,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "missing": self.missing,
            "margin": self.margin,
            "main": cite(self.main) if self.main else None,
            "more": [cite(c) for c in self.more],
        }
