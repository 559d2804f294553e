"""The corpus: hand-curated manifest of source files, or a JSON-lines collection for benchmarks."""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from .errors import CorpusError  # noqa: F401 (raised here, imported from here by callers)
from .jsonlines import objects
from .types import VALIDITY_FIELDS, Source


@dataclass(frozen=True)
class Document:
    source: Source
    text: str  # the original text, exactly as in the file: offsets point into it


def load_manifest(path: Path) -> list[Document]:
    """Load and validate `sources.toml`; file paths are relative to the manifest. Validity fields
    are checked against each other (retrieval.validity), naming the line at fault."""
    from .validity import link

    docs, locate = read_manifest(path)
    linked = link([d.source for d in docs], locate)
    return [Document(s, d.text) for s, d in zip(linked, docs)]


def read_manifest(path: Path, table: str = "source", required: bool = True, text: str | None = None):
    """The entries of one manifest, each checked on its own, and where each sits in the file;
    links between documents are checked by the caller (they may span several manifests).
    `text`: the manifest's content as it is about to be written to `path`."""
    from .validity import Locator, entry_lines, parse_entry

    path = Path(path)
    try:
        raw = text if text is not None else path.read_text(encoding="utf-8")
        data = tomllib.loads(raw)
    except FileNotFoundError:
        raise CorpusError(f"Manifest not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise CorpusError(f"{path}: not valid TOML ({e})") from None
    entries = data.get(table, [])
    if not isinstance(entries, list) or (required and not entries):
        raise CorpusError(f"{path}: no [[{table}]] entries")
    lines = entry_lines(raw, table)
    locate = Locator()
    docs, seen = [], set()
    for n, entry in enumerate(entries, 1):
        at = lines[n - 1] if n - 1 < len(lines) else {}
        where = f"{path}:{at.get('', 0)}: source #{n}"
        if not entry.get("signed") and entry.get("date"):
            entry = {**entry, "signed": entry["date"]}  # older manifests call it `date`
        for key in ("id", "file", "title", "kind", "issuer", "signed", "place"):
            if not entry.get(key):
                raise CorpusError(f"{where}: missing '{key}'")
        sid = str(entry["id"])
        where = f"{path}:{at.get('', 0)}: source '{sid}'"
        if sid in seen:
            raise CorpusError(f"{where}: duplicate id")
        seen.add(sid)
        locate.add(sid, path, at)
        when = _parse_date(entry["signed"], f"{path}:{at.get('signed') or at.get('date', 0)}: source '{sid}'")
        file = path.parent / entry["file"]
        if not file.is_file():
            raise CorpusError(f"{where}: file not found: {file}")
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CorpusError(f"{where}: {file} is not UTF-8 text") from None
        source = Source(
            id=sid, title=entry["title"], issuer=entry["issuer"], date=when, place=entry["place"],
            number=entry.get("number"), path=str(entry["file"]), **parse_entry(entry, where),
        )
        docs.append(Document(source, text))
    return docs, locate


def load_jsonl(path: Path) -> list[Document]:
    """A collection given as JSON lines `{"id", "title", "text", "date"?}` (benchmarks)."""
    path = Path(path)
    docs, seen = [], set()
    for where, rec in objects(path, CorpusError, "Corpus file"):
        for key in ("id", "title", "text"):
            if not isinstance(rec.get(key), (str, int)) or str(rec.get(key)).strip() == "":
                raise CorpusError(f"{where}: missing '{key}'")
        sid = str(rec["id"])
        if sid in seen:
            raise CorpusError(f"{where}: duplicate id '{sid}'")
        seen.add(sid)
        when = _parse_date(rec["date"], where) if rec.get("date") else None
        source = Source(id=sid, title=str(rec["title"]), kind=str(rec.get("kind", "")),
                        issuer=str(rec.get("issuer", "")), date=when, place=str(rec.get("place", "")),
                        number=rec.get("number"), path=f"{path.name}#{sid}")
        docs.append(Document(source, str(rec["text"])))
    if not docs:
        raise CorpusError(f"{path}: no documents")
    return docs


def checksum(docs: list[Document], faq: list = ()) -> str:
    """Identifies the exact corpus an index was built from (texts, metadata, FAQ entries)."""
    h = hashlib.sha256()
    for d in docs:  # validity changes (a document retired or replaced) leave the index as it is
        meta = {k: v for k, v in d.source.to_dict().items() if k not in VALIDITY_FIELDS}
        h.update(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode())
        h.update(d.text.encode("utf-8"))
    for e in faq:
        h.update(json.dumps(asdict(e), sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def _parse_date(value, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CorpusError(f"{where}: bad date '{value}' (expected YYYY-MM-DD)") from None
