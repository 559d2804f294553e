"""`rulebot documents …` and `rulebot review pending`: officials add, retire and remove documents.

Each command is a (configure, run) pair in COMMANDS; `configure(name, parser)` / `run(args)`
for the `documents` group dispatch to them; `review pending` is declared with `review export`
(bot/cli/console.py). An add or remove updates the index in the same
step (only the new document's clauses are embedded); retiring changes no vector. The steps
themselves (and their order of writes) are in bot/document_ops.py, shared with the console.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from retrieval.validity import KINDS

from . import options

HELP = "add, list, show, preview, retire or remove the officials' documents"
REVIEW_HELP = "answers queued for review (their source no longer holds)"


_iso_date = options.iso_date
NOT_QUEUED = ("The exchange log refused the write: the recent answers that quoted it are not queued for "
              "review (the error is logged above).")


def _index_options(p: argparse.ArgumentParser) -> None:
    options.engine(p)
    p.add_argument("--documents", help="document store (default: $RULEBOT_DOCUMENTS or var/documents)")
    options.exchange_log(p)


def _metadata(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--title", required=required, help="the document's title")
    p.add_argument("--number", help="its number, e.g. 17/CT-UBND (a news report: the rule it reports on)")
    p.add_argument("--issuer", required=required, help="who issued it, e.g. UBND thành phố Hà Nội")
    p.add_argument("--signed", required=required, type=_iso_date, help="day signed or issued, YYYY-MM-DD")
    p.add_argument("--kind", choices=KINDS, help="default: what the text says it is")
    p.add_argument("--effective-from", type=_iso_date, help="first day in force, YYYY-MM-DD")
    p.add_argument("--effective-until", type=_iso_date, help="last day in force, YYYY-MM-DD")
    p.add_argument("--supersedes", action="append", default=[], metavar="ID", help="a document it replaces")
    p.add_argument("--amends", action="append", default=[], metavar="ID", help="a document it amends")
    p.add_argument("--reports-on", help="a news report: the rule it reports on, e.g. Chỉ thị số 17/CT-UBND")
    p.add_argument("--place", default="Hà Nội")
    p.add_argument("--id", help="the document's id (default: from its number or title and date)")


# --- documents add ------------------------------------------------------------------------

def configure_add(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=".txt, .docx, .pdf or .html")
    _metadata(p)
    _index_options(p)


def run_add(args) -> int:
    from bot import document_ops as ops
    from retrieval.documents import Store

    store = Store(args.documents)
    added = ops.add(store, _new_document(args), _target(args), args.log)
    s, flagged = added.source, added.flagged
    print(f"Added '{s.id}': {s.title} ({s.kind}, {len(added.chunks)} clauses, "
          f"{_status_text(store, s.id)} today).")
    _print_update(added.update, args)
    if flagged:
        print(f"{flagged} recent answers that quoted the replaced document are queued for review: rulebot review pending")
    elif flagged is None:
        print(NOT_QUEUED, file=sys.stderr)
    return 0


def _new_document(args):
    from retrieval.documents import NewDocument

    return NewDocument(file=Path(args.file), title=args.title, issuer=args.issuer, signed=args.signed,
                       number=args.number, kind=args.kind, effective_from=args.effective_from,
                       effective_until=args.effective_until, supersedes=tuple(args.supersedes),
                       amends=tuple(args.amends), reports_on=args.reports_on, place=args.place, id=args.id)


# --- documents preview --------------------------------------------------------------------

def configure_preview(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help=".txt, .docx, .pdf or .html")
    p.add_argument("--title", help="as for add (default: the file's own title, if any)")
    p.add_argument("--number")
    p.add_argument("--issuer")
    p.add_argument("--signed", type=_iso_date)
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--documents", help="document store (default: $RULEBOT_DOCUMENTS or var/documents)")
    p.add_argument("--json", action="store_true", help="the clauses as JSON")


def run_preview(args) -> int:
    """The clauses the file would make, with their labels, before anything is written."""
    from bot.document_ops import preview

    got = preview(args.file, args.number, args.kind)
    kind, chunks = got.kind, got.chunks
    if args.json:
        print(json.dumps({"format": got.format, "title": args.title or got.title, "kind": kind,
                          "date": got.date.isoformat() if got.date else None, "characters": got.characters,
                          "clauses": [{"location": c.location, "heading": c.heading, "text": c.text}
                                      for c in chunks]}, ensure_ascii=False, indent=2))
        return 0
    print(f"{Path(args.file).name}: {got.format}, {got.characters:,} characters, {len(chunks)} clauses"
          + (f"; title in the file: {got.title}" if got.title else "")
          + (f"; date in the page: {got.date.isoformat()}" if got.date else ""))
    print(f"Kind: {kind or 'cannot tell from the text; give --kind when adding'}")
    for c in chunks:
        print(f"\n[{c.location}]" + (f"  ({c.heading})" if c.heading else ""))
        print(c.text)
    return 0


# --- documents list / show ----------------------------------------------------------------

def configure_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--documents", help="document store (default: $RULEBOT_DOCUMENTS or var/documents)")
    p.add_argument("--as-of", type=_iso_date, help="status on this day (default: today)")
    p.add_argument("--json", action="store_true")


def run_list(args) -> int:
    from bot.document_ops import rows as status_rows
    from retrieval.documents import Store

    rows = []
    for r in status_rows(Store(args.documents), args.as_of):
        s, st = r.source, r.status
        rows.append({"id": s.id, "origin": r.origin, "kind": s.kind, "number": s.number, "title": s.title,
                     "signed": _iso(s.date), "status": st.code, "since": _iso(st.since),
                     "effective_from": _iso(s.effective_from), "effective_until": _iso(s.effective_until),
                     "superseded_by": st.superseded_by or s.superseded_by})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']}  [{r['origin']}, {r['kind']}]  signed {r['signed']}  {r['status']}"
              + (f" since {r['since']}" if r["since"] else "")
              + (f" (by {r['superseded_by']})" if r["superseded_by"] else "") + f"\n    {r['title']}")
    return 0


def configure_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    p.add_argument("--documents", help="document store (default: $RULEBOT_DOCUMENTS or var/documents)")
    p.add_argument("--index", help="index directory (default: $RULEBOT_INDEX or var/index)")
    p.add_argument("--json", action="store_true")


def run_show(args) -> int:
    from bot.document_ops import row
    from retrieval import settings
    from retrieval.chunking import chunk_document
    from retrieval.documents import Store

    r = row(Store(args.documents), args.id)
    e, s, st = r.entry, r.source, r.status
    indexed = _indexed_chunks(settings.index_dir(args.index), s.id)
    info = {**s.to_dict(), "origin": e.origin, "added_at": e.added_at, "original": e.original,
            "status_today": st.code, "status_since": _iso(st.since), "superseded_by": st.superseded_by,
            "chunks": len(chunk_document(s.id, e.document.text)), "chunks_in_index": indexed,
            "characters": len(e.document.text), "changes": [{k: _iso(v) if isinstance(v, date) else v
                                                             for k, v in c.items()} for c in e.changes]}
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    width = max(len(k) for k in info)
    for k, v in info.items():
        if v not in (None, "", [], ()):
            print(f"{k:<{width}}  {v}")
    return 0


def _indexed_chunks(index: Path, sid: str) -> int | None:
    import sqlite3

    db_path = Path(index) / "index.db"
    if not db_path.is_file():
        return None
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute("select count(*) from chunks where source_id = ?", (sid,)).fetchone()[0]
    finally:
        db.close()


# --- documents retire / remove / sync -------------------------------------------------------

def configure_retire(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    p.add_argument("--until", required=True, type=_iso_date, help="the last day it holds, YYYY-MM-DD")
    p.add_argument("--replaced-by", metavar="ID", help="the document that replaces it")
    p.add_argument("--documents", help="document store (default: $RULEBOT_DOCUMENTS or var/documents)")
    p.add_argument("--log", help="exchange log, for re-review (default: $RULEBOT_LOG or var/rulebot-log.db)")


def run_retire(args) -> int:
    from bot import document_ops as ops
    from retrieval.documents import Store

    store = Store(args.documents)
    retired = ops.retire(store, args.id, args.until, args.replaced_by, args.log)
    s, flagged = retired.source, retired.flagged
    print(f"'{s.id}' holds until {args.until.isoformat()}"
          + (f", replaced by '{args.replaced_by}'" if args.replaced_by else "")
          + f"; {_status_text(store, s.id)} today. The index is unchanged (no vectors touched).")
    if flagged:
        print(f"{flagged} recent answers that quoted it are queued for review: rulebot review pending")
    elif flagged is None:
        print(NOT_QUEUED + " Retiring it again with the same dates queues them.", file=sys.stderr)
    return 0


def configure_remove(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    _index_options(p)


def run_remove(args) -> int:
    from bot import document_ops as ops
    from retrieval.documents import Store

    s, updated, flagged = ops.remove(Store(args.documents), args.id, _target(args), args.log)
    print(f"Removed '{s.id}': {s.title}.")
    _print_update(updated, args)
    if flagged:
        print(f"{flagged} recent answers that quoted it are queued for review: rulebot review pending")
    elif flagged is None:
        print(NOT_QUEUED, file=sys.stderr)
    return 0


def configure_sync(p: argparse.ArgumentParser) -> None:
    _index_options(p)


def run_sync(args) -> int:
    """Bring the index in line with the store (after a crash, or an index built elsewhere)."""
    from bot import document_ops as ops
    from retrieval.documents import Store

    _print_update(ops.sync(Store(args.documents), _target(args)), args)
    return 0


# --- review pending (declared in bot/cli/console.py) ------------------------------------

def run_review(args) -> int:
    from bot.rereview import pending
    from bot.service import log_path

    items = pending(log_path(args.log))
    if args.json:
        print(json.dumps([i.__dict__ for i in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("Nothing to review.")
        return 0
    for i in items:
        print(f"{i.at}  [{i.channel}] {i.exchange_id}  {i.reason}: {i.source_id} ({', '.join(i.chunk_ids)})\n"
              f"    {i.question}")
    return 0


# --- shared -------------------------------------------------------------------------------

def _target(args):
    from bot.document_ops import index_target

    return index_target(args.index, args.model)


def _print_update(update, args) -> None:
    if update is None:
        print("No index yet: build it with `rulebot index` (it includes these documents).")
        return
    print(f"Index updated in {update.seconds.get('total', 0):.2f} s: {update.embedded} clauses embedded "
          f"({update.seconds.get('embed', 0):.2f} s), {update.manifest['chunks']} in all → {update.path}")


def _status_text(store, sid: str) -> str:
    from bot.document_ops import row

    st = row(store, sid).status
    if st.code == "not_yet":
        return "not yet in force" + (f" (from {st.since.isoformat()})" if st.since else "")
    return st.code.replace("_", " ") + (f" since {st.since.isoformat()}" if st.since else "")


def _iso(d) -> str | None:
    return d.isoformat() if d else None


# --- wiring -------------------------------------------------------------------------------

# documents <command>: (configure, run, help). The lead wires these into bot/cli/.
COMMANDS = {
    "add": (configure_add, run_add, "add a .txt, .docx, .pdf or .html document and index it"),
    "list": (configure_list, run_list, "every document with its status today"),
    "show": (configure_show, run_show, "one document: metadata, status today, clause count"),
    "preview": (configure_preview, run_preview, "the clauses a file would make, before adding it"),
    "retire": (configure_retire, run_retire, "record the last day a document holds (and what replaces it)"),
    "remove": (configure_remove, run_remove, "take an added document out of the store and the index"),
    "sync": (configure_sync, run_sync, "bring the index in line with the store (after a crash)"),
}


def configure(name: str, p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="documents_command", required=True)
    for name, (conf, _, help_) in COMMANDS.items():
        conf(sub.add_parser(name, help=help_))


def run(args) -> int:
    return COMMANDS[args.documents_command][1](args)
