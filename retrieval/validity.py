"""When a document holds: its validity fields in the manifest, and its status on a given day.

A manifest entry may say when the document was signed (`signed`, or `date` in older manifests),
when it took effect and lapsed (`effective_from`, `effective_until`: the last day in force), what
it replaces or is replaced by (`supersedes`, `superseded_by`: ids), what it amends (`amends`),
and its kind: a directive or decision that states rules, an official letter, or a news report
of one (`reports_on` then names the rule reported). Whatever the texts do not establish is left
out, and a document's status on a day is then "unknown", never guessed.

Contradictions are refused with the manifest line at fault: a date that is not a date, an
`effective_until` before `effective_from`, an id that names no document, a document replaced by
two others or by an older one, and a cycle of replacements.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from .errors import CorpusError
from .text import fold
from .types import Source

KINDS = ("directive", "decision", "letter", "report")
STATUSES = ("in_force", "not_yet", "expired", "superseded", "unknown")
LAPSED = ("expired", "superseded")
DATE_FIELDS = ("effective_from", "effective_until")
ID_FIELDS = ("supersedes", "amends")

# Older manifests describe the kind in words ("tin về chỉ thị"); the words say which kind it is.
_KIND_WORDS = (("tin", "report"), ("bao cao", "report"), ("chi thi", "directive"),
               ("quyet dinh", "decision"), ("cong van", "letter"), ("thu", "letter"))


class ValidityError(CorpusError):
    """A manifest whose dates or links contradict each other; the message names the line."""


Locate = Callable[[str, str], str]  # (source id, field) → "path:line: source 'id'" for messages


@dataclass(frozen=True)
class Status:
    """A document's standing on one day.

    since: the day it took effect (in_force), will take effect (not_yet), lapsed (expired: the
    day after `effective_until`) or was replaced (superseded); None when the texts do not say.
    """

    code: str
    since: date | None = None
    until: date | None = None  # the last day in force, when known
    superseded_by: str | None = None

    @property
    def lapsed(self) -> bool:
        return self.code in LAPSED


def kind_of(value: str) -> tuple[str, str]:
    """(kind, human description) from a manifest's `kind`: a code, or words naming one."""
    value = str(value or "").strip()
    if value in KINDS:
        return value, ""
    folded = fold(value)
    for words, kind in _KIND_WORDS:
        if folded == words or folded.startswith(words + " "):
            return kind, value
    raise ValueError(f"unknown kind '{value}' (expected one of: {', '.join(KINDS)})")


def parse_date(value, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"bad {what} '{value}' (expected YYYY-MM-DD)") from None


def parse_entry(entry: Mapping, where: str) -> dict:
    """The validity fields of one manifest entry, as keyword arguments for Source."""
    out: dict = {}
    try:
        kind, description = kind_of(entry.get("kind", ""))
        out["kind"], out["description"] = kind, str(entry.get("description") or description)
        for f in DATE_FIELDS:
            out[f] = parse_date(entry.get(f), f)
    except ValueError as e:
        raise ValidityError(f"{where}: {e}") from None
    for f in ID_FIELDS:
        v = entry.get(f, ())
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x for x in v):
            raise ValidityError(f"{where}: '{f}' must be a document id or a list of ids")
        out[f] = tuple(v)
    by = entry.get("superseded_by")
    if by is not None and (not isinstance(by, str) or not by):
        raise ValidityError(f"{where}: 'superseded_by' must be a document id")
    out["superseded_by"] = by or None
    out["reports_on"] = str(entry["reports_on"]) if entry.get("reports_on") else None
    return out


def link(sources: Sequence[Source], locate: Locate) -> list[Source]:
    """Check the documents' dates and links against each other and make replacement two-way:
    `B.supersedes = [A]` and `A.superseded_by = B` mean the same and each implies the other."""
    by_id = {s.id: s for s in sources}
    replacer: dict[str, str] = {}

    def claim(old: str, new: str, field: str, at: str) -> None:
        if old == new:
            raise ValidityError(f"{locate(at, field)}: a document cannot replace itself")
        if replacer.get(old, new) != new:
            raise ValidityError(f"{locate(at, field)}: '{old}' is already replaced by "
                                f"'{replacer[old]}'; a document is replaced by one other at most")
        replacer[old] = new

    for s in sources:
        if s.effective_from and s.effective_until and s.effective_until < s.effective_from:
            raise ValidityError(f"{locate(s.id, 'effective_until')}: effective_until "
                                f"{s.effective_until} is before effective_from {s.effective_from}")
        for f in ID_FIELDS + ("superseded_by",):
            value = getattr(s, f)
            for other in (value,) if isinstance(value, str) else (value or ()):
                if other not in by_id:
                    raise ValidityError(f"{locate(s.id, f)}: unknown document id '{other}'")
        if s.id in s.amends:
            raise ValidityError(f"{locate(s.id, 'amends')}: a document cannot amend itself")
        for old in s.supersedes:
            claim(old, s.id, "supersedes", s.id)
        if s.superseded_by:
            claim(s.id, s.superseded_by, "superseded_by", s.id)
    for start in replacer:  # follow each chain of replacements: coming back means a cycle
        seen, cur = [start], replacer[start]
        while cur in replacer:
            if cur in seen:
                chain = " → ".join(seen[seen.index(cur):] + [cur])
                raise ValidityError(f"{locate(cur, 'superseded_by' if by_id[cur].superseded_by else 'supersedes')}"
                                    f": replacements go round in a circle ({chain})")
            seen.append(cur)
            cur = replacer[cur]
    for old, new in replacer.items():
        a, b = by_id[old], by_id[new]
        if a.date and b.date and b.date < a.date:
            raise ValidityError(f"{locate(new if old in b.supersedes else old, 'supersedes' if old in b.supersedes else 'superseded_by')}"
                                f": '{new}' (signed {b.date}) cannot replace the later '{old}' (signed {a.date})")
    supersedes: dict[str, list[str]] = {}
    for old, new in replacer.items():
        supersedes.setdefault(new, []).append(old)
    return [replace(s, superseded_by=replacer.get(s.id),
                    supersedes=tuple(dict.fromkeys([*s.supersedes, *supersedes.get(s.id, [])])))
            for s in sources]


def replaced_from(source: Source, sources: Mapping[str, Source]) -> date | None:
    """The first day a superseded document no longer holds: the day after its own last day when
    the manifest gives one, else the day its replacement took effect (or was signed)."""
    if not source.superseded_by:
        return None
    if source.effective_until:
        return source.effective_until + timedelta(days=1)
    new = sources.get(source.superseded_by)
    return (new.effective_from or new.date) if new else None


def status(source: Source, day: date, sources: Mapping[str, Source]) -> Status:
    """The document's status on `day` (see STATUSES); `sources` resolves its replacement."""
    until = source.effective_until
    gone = replaced_from(source, sources)
    if gone and day >= gone:
        return Status("superseded", gone, until, source.superseded_by)
    if until and day > until:
        return Status("expired", until + timedelta(days=1), until)
    if source.effective_from:
        if day < source.effective_from:
            return Status("not_yet", source.effective_from, until)
        return Status("in_force", source.effective_from, until)
    if source.date and day < source.date:
        return Status("not_yet", None, until)
    return Status("unknown", None, until)


def rank(code: str) -> int:
    """A rule in force leads an answer. Among the rest relevance decides: an expired
    clause that says exactly what was asked is worth more than a loosely related one of unknown
    standing, and its lapse is said first (bot/validity_text.py)."""
    return 0 if code == "in_force" else 1


# --- where an entry sits in its manifest, for messages ---------------------------------------

_HEADER = re.compile(r"^\s*\[\[\s*(\w+)\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=")


def entry_lines(text: str, table: str = "source") -> list[dict[str, int]]:
    """For each `[[table]]` entry of a TOML manifest, in order: its keys' line numbers (1-based),
    with the header line under "" (tomllib gives no positions)."""
    out: list[dict[str, int]] = []
    current: dict[str, int] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            current = {"": n} if m.group(1) == table else None
            if current is not None:
                out.append(current)
            continue
        m = _KEY.match(line)
        if m and current is not None:
            current.setdefault(m.group(1), n)
    return out


class Locator:
    """Turns (id, field) into "path:line: source 'id'" over one or more manifests."""

    def __init__(self) -> None:
        self._at: dict[str, tuple[Path, dict[str, int]]] = {}
        self._fields: dict[tuple[str, str], tuple[Path, int]] = {}

    def add(self, sid: str, path: Path, lines: dict[str, int]) -> None:
        self._at[sid] = (Path(path), lines)

    def _locate(self, sid: str, field: str = "") -> str:
        if sid not in self._at:
            return f"source '{sid}'"
        path, lines = self._at[sid]
        line = lines.get(field) or lines.get("") or 0
        return f"{path}:{line}: source '{sid}'"

    def ids(self) -> Iterable[str]:
        return self._at.keys()

    def merge(self, other: "Locator", sid: str) -> None:
        self._at[sid] = other._at[sid]

    def point(self, sid: str, field: str, path: Path, line: int) -> None:
        """A field set elsewhere (a status change in another manifest) is reported there."""
        self._fields[(sid, field)] = (Path(path), line)

    def __call__(self, sid: str, field: str = "") -> str:
        moved = self._fields.get((sid, field))
        if moved:
            return f"{moved[0]}:{moved[1]}: source '{sid}'"
        return self._locate(sid, field)
