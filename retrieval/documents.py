"""The officials' document store: the shipped documents plus those added, retired or removed since.

    data/sources.toml + data/sources/     shipped with rulebot, never written to
    $RULEBOT_DOCUMENTS (var/documents/)   what officials add:
        manifest.toml                     [[source]] entries like data/sources.toml, and
                                          [[change]] entries: a document (shipped or added)
                                          retired on a day, or replaced by another
        texts/<id>.txt                    the extracted text: the source of truth quotes come from
        originals/<id>.<ext>              the file as it was given, for the record

The manifest is replaced in one atomic rename, after the files it names are on disk, so a crash
leaves the old manifest or the new one, never half of one; a file no manifest names is garbage
that the next write cleans up. Writers take a lock, so two commands never interleave.

Every change is checked before anything is written: a bad file (empty, no text layer,
unsupported), a duplicate (same text, or same number in the same year), a date more than a year
ahead, or dates and links that contradict the others (retrieval.validity) change nothing.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from . import settings
from .chunking import chunk_document
from .corpus import CorpusError, Document, read_manifest
from .extract import ExtractError, extract
from .text import fold
from .types import Chunk, Source
from .validity import KINDS, Locator, ValidityError, entry_lines, link

MANIFEST = "manifest.toml"
MAX_AHEAD = timedelta(days=365)
HEADER = ("# Documents added by officials with `rulebot documents add`, and status changes\n"
          "# (`rulebot documents retire`). Written by rulebot: edit with care, then run\n"
          "# `rulebot documents list` to check it still loads.\n\n")


class DocumentError(CorpusError):
    """An add, retire or remove that cannot be done; nothing was changed.

    `reason` names the case and `info` its particulars (a field, a date, the document in the
    way), so a caller can word it its own way (the console says it in Vietnamese)."""

    def __init__(self, message: str, reason: str = "", **info):
        super().__init__(message)
        self.reason = reason
        self.info = info


def store_dir(value: str | None = None) -> Path:
    return Path(value or os.environ.get("RULEBOT_DOCUMENTS") or settings.REPO / "var" / "documents")


@dataclass(frozen=True)
class NewDocument:
    """What an official gives with a file: the metadata the text alone cannot be trusted for."""

    file: Path
    title: str
    issuer: str
    signed: date
    number: str | None = None
    kind: str | None = None  # None: read from the text (the number's type code, or its heading)
    effective_from: date | None = None
    effective_until: date | None = None
    supersedes: tuple[str, ...] = ()
    amends: tuple[str, ...] = ()
    reports_on: str | None = None
    place: str = "Hà Nội"
    id: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A checked document, ready to be written: its source entry, text and clauses."""

    source: Source
    text: str
    chunks: list[Chunk]
    original: Path
    format: str
    sha256: str


@dataclass(frozen=True)
class Entry:
    """A document as the store sees it: where it came from, and its standing today."""

    document: Document
    origin: str  # "shipped" or "added"
    added_at: str | None = None
    original: str | None = None
    changes: list[dict] = field(default_factory=list)


class Store:
    def __init__(self, root: str | Path | None = None, shipped: str | Path | None = None):
        self.root = store_dir(str(root) if root else None)
        self.shipped = Path(shipped) if shipped else settings.DEFAULT_MANIFEST
        self.manifest = self.root / MANIFEST

    # --- reading ----------------------------------------------------------------------------

    def _raw(self) -> dict:
        if not self.manifest.is_file():
            return {}
        try:
            return tomllib.loads(self.manifest.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise CorpusError(f"{self.manifest}: not valid TOML ({e})") from None

    def entries(self, raw: dict | None = None) -> list[Entry]:
        """Every document, shipped first, then added in the order added; changes applied and
        the whole set checked (a contradiction names the manifest line at fault). `raw`: the
        manifest as it is about to be written, with the same sources and other changes."""
        shipped, locate = read_manifest(self.shipped)
        docs = [(d, "shipped", {}) for d in shipped]
        text = _dump(raw) if raw is not None else (
            self.manifest.read_text(encoding="utf-8") if self.manifest.is_file() else "")
        raw = raw if raw is not None else self._raw()
        if raw.get("source"):
            added, where = read_manifest(self.manifest, required=False, text=text)
            for sid in where.ids():
                if any(d.source.id == sid for d, _, _ in docs):
                    raise CorpusError(f"{where(sid)}: the id is already used by a shipped document")
                locate.merge(where, sid)
            extra = {e["id"]: e for e in raw["source"]}
            docs += [(d, "added", extra.get(d.source.id, {})) for d in added]
        changes = raw.get("change", [])
        lines = entry_lines(text, "change") if changes else []
        index = {d.source.id: i for i, (d, _, _) in enumerate(docs)}
        applied: dict[str, list[dict]] = {}
        for n, ch in enumerate(changes):
            at = lines[n] if n < len(lines) else {}
            where = f"{self.manifest}:{at.get('', 0)}: change #{n + 1}"
            sid = ch.get("id")
            if sid not in index:
                raise ValidityError(f"{where}: unknown document id '{sid}'")
            d, origin, extra = docs[index[sid]]
            try:
                until = ch.get("effective_until")
                if until is not None and not isinstance(until, date):
                    until = date.fromisoformat(str(until))
            except ValueError:
                raise ValidityError(f"{where}: bad effective_until '{ch.get('effective_until')}'") from None
            new = replace(d.source, effective_until=until or d.source.effective_until,
                          superseded_by=ch.get("superseded_by") or d.source.superseded_by)
            docs[index[sid]] = (Document(new, d.text), origin, extra)
            for key in ("effective_until", "superseded_by"):
                if key in ch:
                    locate.point(sid, key, self.manifest, at.get(key) or at.get("", 0))
            applied.setdefault(sid, []).append(dict(ch))
        linked = link([d.source for d, _, _ in docs], locate)
        return [Entry(Document(s, d.text), origin, extra.get("added_at"), extra.get("original"),
                      applied.get(s.id, []))
                for s, (d, origin, extra) in zip(linked, docs)]

    def documents(self) -> list[Document]:
        return [e.document for e in self.entries()]

    def get(self, sid: str) -> Entry:
        for e in self.entries():
            if e.document.source.id == sid:
                return e
        raise DocumentError(f"No document with id '{sid}'. See: rulebot documents list", "unknown_id", id=sid)

    # --- checking a new document --------------------------------------------------------------

    def prepare(self, new: NewDocument, today: date | None = None) -> Prepared:
        """Extract and check a document without writing anything (also what `preview` shows)."""
        today = today or date.today()
        try:
            got = extract(new.file)
        except ExtractError as e:
            raise DocumentError(str(e), e.reason) from None
        for what in ("title", "issuer"):
            if not str(getattr(new, what) or "").strip():
                raise DocumentError(f"--{what} is required", "required", field=what)
        for what in ("signed", "effective_from", "effective_until"):
            when = getattr(new, what)
            if when and when > today + MAX_AHEAD:
                raise DocumentError(f"--{what.replace('_', '-')} {when} is more than a year in the future; "
                                    "check the date (YYYY-MM-DD)", "future_date", field=what, day=when)
        kind = new.kind or infer_kind(got.text, new.number)
        if kind is None:
            raise DocumentError("Cannot tell from the text whether this is a directive, decision, letter or "
                                "report; give --kind", "no_kind")
        if kind not in KINDS:
            raise DocumentError(f"--kind must be one of: {', '.join(KINDS)}", "bad_kind")
        number, reports_on = (new.number or None), new.reports_on
        if kind == "report":  # a news report has no number of its own: it names the rule reported
            number, reports_on = None, reports_on or new.number
        existing = self.entries()
        taken = {e.document.source.id for e in existing}
        sid = new.id or _unique(slug(number or reports_on or new.title, new.signed), taken)
        if sid in taken:
            raise DocumentError(f"The id '{sid}' is already used; give another with --id", "id_taken", id=sid)
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", sid):
            raise DocumentError(f"--id '{sid}': use lower-case letters, digits, '.', '_' and '-' only", "bad_id", id=sid)
        digest = hashlib.sha256(got.text.encode("utf-8")).hexdigest()
        for e in existing:
            s = e.document.source
            if hashlib.sha256(e.document.text.encode("utf-8")).hexdigest() == digest:
                raise DocumentError(f"This text is already in the store as '{s.id}' ({s.title})", "duplicate_text",
                                    id=s.id, title=s.title)
            if number and s.kind != "report" and s.number and same_number(s.number, number) \
                    and s.date and s.date.year == new.signed.year:
                raise DocumentError(f"A document numbered '{s.number}' of {s.date.year} is already in the store "
                                    f"as '{s.id}'. If this one replaces it, retire the old one with "
                                    f"--replaced-by, or check the number.", "duplicate_number",
                                    id=s.id, number=s.number, year=s.date.year)
        source = Source(id=sid, title=new.title.strip(), kind=kind, issuer=new.issuer.strip(),
                        date=new.signed, place=new.place, number=number, path=f"texts/{sid}.txt",
                        effective_from=new.effective_from, effective_until=new.effective_until,
                        supersedes=tuple(new.supersedes), amends=tuple(new.amends), reports_on=reports_on)
        locate = Locator()
        try:
            link([e.document.source for e in existing] + [source], locate)
        except ValidityError as err:
            raise DocumentError(str(err).replace(f"source '{sid}'", "the new document"), "contradiction") from None
        chunks = chunk_document(sid, got.text)
        if not chunks:
            raise DocumentError(f"{new.file.name}: no clause could be cut from the text", "no_clauses")
        return Prepared(source, got.text, chunks, Path(new.file), got.format, digest)

    # --- writing ----------------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time (another command waits)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def write_files(self, p: Prepared) -> None:
        """The text and the original, before the manifest names them (unnamed files are garbage)."""
        (self.root / "texts").mkdir(parents=True, exist_ok=True)
        (self.root / "originals").mkdir(parents=True, exist_ok=True)
        _atomic_write(self.root / p.source.path, p.text.encode("utf-8"))
        _atomic_write(self.root / "originals" / f"{p.source.id}{p.original.suffix.lower()}", p.original.read_bytes())

    def _with(self, p: Prepared, now: str | None = None) -> dict:
        raw = self._raw()
        entry = _entry(p.source)
        entry.update(original=f"originals/{p.source.id}{p.original.suffix.lower()}", format=p.format,
                     sha256=p.sha256, added_at=now or _now())
        raw.setdefault("source", []).append(entry)
        return raw

    def after_add(self, p: Prepared) -> list[Document]:
        """The documents as they will be once `p` is committed (its files must be written)."""
        return [e.document for e in self.entries(self._with(p))]

    def after_remove(self, sid: str) -> list[Document]:
        return [e.document for e in self.entries(self._without(sid))]

    def commit_add(self, p: Prepared, now: str | None = None) -> None:
        """The moment the document is in the store: one atomic manifest replace."""
        self._save(self._with(p, now))

    def retire(self, sid: str, until: date, replaced_by: str | None = None, today: date | None = None) -> Source:
        """Record that a document stops holding after `until` (and what replaces it); checked
        against every other document first. The index is not touched: no vector changes."""
        today = today or date.today()
        if until > today + MAX_AHEAD:
            raise DocumentError(f"--until {until} is more than a year in the future; check the date",
                                "future_date", field="effective_until", day=until)
        entries = self.entries()
        by_id = {e.document.source.id: e.document.source for e in entries}
        if sid not in by_id:
            raise DocumentError(f"No document with id '{sid}'. See: rulebot documents list", "unknown_id", id=sid)
        if replaced_by and replaced_by not in by_id:
            raise DocumentError(f"--replaced-by: no document with id '{replaced_by}'", "unknown_id", id=replaced_by)
        old = by_id[sid]
        if old.effective_from and until < old.effective_from:
            raise DocumentError(f"--until {until} is before the day it took effect ({old.effective_from})",
                                "until_before_from", day=old.effective_from)
        if replaced_by and old.superseded_by and old.superseded_by != replaced_by:
            raise DocumentError(f"'{sid}' is already replaced by '{old.superseded_by}'", "already_replaced",
                                id=old.superseded_by)
        change = {"id": sid, "effective_until": until, "at": _now()}
        if replaced_by:
            change["superseded_by"] = replaced_by
        raw = self._raw()
        raw.setdefault("change", []).append(change)
        try:  # checked as the new manifest would load, before it replaces the old one
            new = next(e.document.source for e in self.entries(raw) if e.document.source.id == sid)
        except CorpusError as err:
            raise DocumentError(str(err), "contradiction") from None
        self._save(raw)
        return new

    def remove(self, sid: str) -> Source:
        """Take an added document out of the store (its files go once the manifest no longer
        names them). Shipped documents are retired, not removed; one another entry refers to
        cannot be removed."""
        e = self.check_remove(sid)
        self._save(self._without(sid))
        for f in (self.root / e.document.source.path, self.root / (e.original or "")):
            if f.is_file() and f.parent != self.root:
                f.unlink()
        return e.document.source

    def check_remove(self, sid: str) -> Entry:
        """What remove() refuses, without changing anything."""
        entries = self.entries()
        e = next((e for e in entries if e.document.source.id == sid), None)
        if e is None:
            raise DocumentError(f"No document with id '{sid}'. See: rulebot documents list", "unknown_id", id=sid)
        if e.origin == "shipped":
            raise DocumentError(f"'{sid}' is shipped with rulebot and cannot be removed; retire it instead: "
                                f"rulebot documents retire {sid} --until YYYY-MM-DD", "shipped", id=sid)
        try:
            self.entries(self._without(sid))
        except CorpusError as err:
            raise DocumentError(f"'{sid}' cannot be removed: another entry refers to it ({err}). "
                                "Change that entry first.", "referred_to", id=sid) from None
        return e

    def _without(self, sid: str) -> dict:
        raw = self._raw()
        raw["source"] = [x for x in raw.get("source", []) if x.get("id") != sid]
        raw["change"] = [x for x in raw.get("change", []) if x.get("id") != sid]
        return raw

    def _save(self, raw: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        raw = {k: v for k, v in raw.items() if v}
        _atomic_write(self.manifest, _dump(raw).encode("utf-8"))


# --- helpers ---------------------------------------------------------------------------------

def infer_kind(text: str, number: str | None) -> str | None:
    """What the document says it is: the type code in its number ("17/CT-UBND": chỉ thị), else
    the word heading it ("CHỈ THỊ", "QUYẾT ĐỊNH", "CÔNG VĂN", "V/v …")."""
    code = fold(number or "").upper()
    for mark, kind in (("CT", "directive"), ("QD", "decision"), ("CV", "letter"), ("TB", "letter")):
        if re.search(rf"(?:^|[/\-\s]){mark}(?:$|[/\-\s])", code):
            return kind
    for line in [ln.strip() for ln in text.splitlines() if ln.strip()][:15]:
        f = fold(line).strip(" :.")
        if f in ("chi thi",) or f.startswith("chi thi ve") or f.startswith("chi thi so"):
            return "directive"
        if f in ("quyet dinh",) or f.startswith("quyet dinh ve") or f.startswith("quyet dinh so"):
            return "decision"
        if f in ("cong van", "thong bao") or f.startswith("v/v") or f.startswith("ve viec"):
            return "letter"
    return None


def slug(text: str, when: date) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60].strip("-") or "van-ban"
    return f"{base}-{when.isoformat()}"


def same_number(a: str, b: str) -> bool:
    """"Chỉ thị số 17/CT-UBND" and "17/ct-ubnd" are one number: compare the coded part."""
    def core(s: str) -> str:
        m = re.search(r"\d+[\w/.\-]*", fold(s))
        return (m.group(0) if m else fold(s)).strip(".")
    return core(a) == core(b)


def _unique(sid: str, taken: set[str]) -> str:
    out, n = sid, 2
    while out in taken:
        out, n = f"{sid}-{n}", n + 1
    return out


def _entry(s: Source) -> dict:
    d = {"id": s.id, "file": s.path, "title": s.title, "kind": s.kind, "issuer": s.issuer,
         "signed": s.date, "place": s.place}
    for k in ("number", "reports_on", "description", "effective_from", "effective_until", "superseded_by"):
        if getattr(s, k):
            d[k] = getattr(s, k)
    for k in ("supersedes", "amends"):
        if getattr(s, k):
            d[k] = list(getattr(s, k))
    return d


def _dump(raw: dict) -> str:
    import tomli_w

    return HEADER + tomli_w.dumps(raw)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write beside, flush to disk, rename over: readers see the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
