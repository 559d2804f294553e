"""Text out of the files officials receive: .txt, .docx, .pdf and web pages (.html).

Each format goes through a library made for it: python-docx (body paragraphs and tables in
order, with Word's automatic numbering written out, since "1." or "a)" is how clauses are
labelled), pdfplumber (lines with their positions, joined back into paragraphs), trafilatura
(whose job is keeping a page's article and dropping its menus, related news and footers).

What comes out is NFC text with "\\n" line ends, and it is stored as the document's source of
truth: quotes are cut from it, so they stay verbatim whatever the original's layout was.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .text import nfc

FORMATS = {".txt": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
MIN_TEXT_CHARS = 20  # fewer letters than this: nothing a resident could be quoted


class ExtractError(ValueError):
    """A file that gives no usable text; the message says why and what to do instead.

    `reason` names the case (unsupported, missing, empty, no_text_layer, no_text, not_utf8,
    unreadable) so a caller can word it its own way (the console says it in Vietnamese)."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    text: str
    format: str
    title: str | None = None  # from the file's own metadata, when it has any
    date: date | None = None  # a web page's publication date, when it gives one
    pages: int | None = None


def extract(path: str | Path) -> Extracted:
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExtractError(f"{path.name}: unsupported file type '{path.suffix or '(none)'}'; "
                           f"supported: {', '.join(sorted(set(FORMATS)))}", "unsupported")
    if not path.is_file():
        raise ExtractError(f"{path}: no such file", "missing")
    if path.stat().st_size == 0:
        raise ExtractError(f"{path.name}: the file is empty", "empty")
    out = {"txt": _txt, "docx": _docx, "pdf": _pdf, "html": _html}[fmt](path)
    text = tidy(out.text)
    if sum(c.isalpha() for c in text) < MIN_TEXT_CHARS:
        if fmt == "pdf":
            raise ExtractError(f"{path.name}: the PDF has no text layer (a scanned image?). "
                               "Give the text as .docx or .txt, or a PDF with selectable text.", "no_text_layer")
        raise ExtractError(f"{path.name}: no text found in the file", "no_text")
    return Extracted(text, fmt, out.title, out.date, out.pages)


def tidy(text: str) -> str:
    """NFC, "\\n" line ends, no trailing spaces, at most one blank line in a row."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# --- plain text ------------------------------------------------------------------------------

def _txt(path: Path) -> Extracted:
    raw = path.read_bytes()
    try:
        return Extracted(raw.decode("utf-8-sig"), "txt")
    except UnicodeDecodeError:
        raise ExtractError(f"{path.name}: not UTF-8 text; save it as UTF-8 and add it again", "not_utf8") from None


# --- Word --------------------------------------------------------------------------------------

def _docx(path: Path) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise ExtractError(f"{path.name}: cannot be read as a Word .docx file ({e})", "unreadable") from None
    numbering = _Numbering(document)
    paras: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paras.append(numbering.prefix(child) + _p_text(child))
        elif tag == "tbl":
            paras.extend(_table_text(child, numbering))
    title = (document.core_properties.title or "").strip() or None
    return Extracted("\n\n".join(p for p in paras if p.strip()), "docx", title)


def _p_text(p) -> str:
    from docx.text.paragraph import Paragraph

    return Paragraph(p, None).text


def _table_text(tbl, numbering) -> list[str]:
    """Each cell's paragraphs once (a merged cell appears once), row by row."""
    out, seen = [], set()
    for tc in tbl.iter(tbl.tag.replace("tbl", "tc")):
        if id(tc) in seen:
            continue
        seen.add(id(tc))
        for p in tc.iter(tbl.tag.replace("tbl", "p")):
            t = _p_text(p)
            if t.strip():
                out.append(numbering.prefix(p) + t)
    return out


class _Numbering:
    """Word's automatic list numbers ("1.", "a)", "II."), which python-docx leaves out of the
    text: rendered from numbering.xml, counting per list and level as Word does."""

    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → ilvl → (fmt, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        self.styles = document.styles.element
        try:
            part = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        W = self.W
        abstract = {}
        for an in part.iter(f"{W}abstractNum"):
            lv = {}
            for lvl in an.iter(f"{W}lvl"):
                i = int(lvl.get(f"{W}ilvl", "0"))
                fmt = lvl.find(f"{W}numFmt")
                txt = lvl.find(f"{W}lvlText")
                start = lvl.find(f"{W}start")
                lv[i] = (fmt.get(f"{W}val") if fmt is not None else "decimal",
                         txt.get(f"{W}val") if txt is not None else f"%{i + 1}.",
                         int(start.get(f"{W}val")) if start is not None else 1)
            abstract[an.get(f"{W}abstractNumId")] = lv
        for num in part.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            if ref is not None and ref.get(f"{W}val") in abstract:
                self.levels[num.get(f"{W}numId")] = abstract[ref.get(f"{W}val")]

    def _num_pr(self, p):
        W = self.W
        ppr = p.find(f"{W}pPr")
        num = ppr.find(f"{W}numPr") if ppr is not None else None
        if num is None and ppr is not None:  # numbering given by the paragraph's style
            style = ppr.find(f"{W}pStyle")
            num = self._style_num(style.get(f"{W}val")) if style is not None else None
        if num is None:
            return None
        nid, ilvl = num.find(f"{W}numId"), num.find(f"{W}ilvl")
        return (nid.get(f"{W}val") if nid is not None else None,
                int(ilvl.get(f"{W}val")) if ilvl is not None else 0)

    def _style_num(self, style_id: str, depth: int = 0):
        W = self.W
        for st in self.styles.iter(f"{W}style"):
            if st.get(f"{W}styleId") == style_id:
                ppr = st.find(f"{W}pPr")
                num = ppr.find(f"{W}numPr") if ppr is not None else None
                if num is not None:
                    return num
                based = st.find(f"{W}basedOn")
                if based is not None and depth < 5:
                    return self._style_num(based.get(f"{W}val"), depth + 1)
        return None

    def prefix(self, p) -> str:
        found = self._num_pr(p)
        if not found or found[0] not in self.levels or found[0] == "0":
            return ""
        nid, ilvl = found
        levels = self.levels[nid]
        if ilvl not in levels:
            return ""
        count = self.counters.setdefault(nid, {})
        count[ilvl] = count.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in count if k > ilvl]:
            del count[deeper]
        fmt, pattern, _ = levels[ilvl]
        if fmt == "bullet":
            return "- "
        if fmt == "none":
            return ""

        def level(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            n = count.get(k, levels.get(k, ("decimal", "", 1))[2])
            return _format(n, levels.get(k, ("decimal", "", 1))[0])

        return re.sub(r"%(\d)", level, pattern) + " "


def _format(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt in ("lowerRoman", "upperRoman"):
        r = _roman(n)
        return r if fmt == "upperRoman" else r.lower()
    return str(n)


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + sym, n - value
    return out


# --- PDF --------------------------------------------------------------------------------------

_MARKER = re.compile(r"^(?:Điều\s+\d+|Chương\s+[IVXLC\d]+|Mục\s+\d+|\d{1,2}\s*[.)]\s|[a-zđ]\s*\)\s|[-–•+]\s)")
_PAGE_NUMBER = re.compile(r"^(?:[-–]?\s*\d{1,4}\s*[-–]?|Trang\s+\d+(?:\s*/\s*\d+)?)$", re.IGNORECASE)
_ENDS = ".!?;:…\"”)"


def _pdf(path: Path) -> Extracted:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        with pdfplumber.open(str(path)) as pdf:
            pages = [page.extract_text_lines(return_chars=False) for page in pdf.pages]
            title = (pdf.metadata or {}).get("Title")
    except (PDFSyntaxError, ValueError, KeyError, OSError) as e:
        raise ExtractError(f"{path.name}: cannot be read as a PDF ({type(e).__name__})", "unreadable") from None
    except Exception as e:  # pdfminer raises assorted errors on damaged files
        raise ExtractError(f"{path.name}: cannot be read as a PDF ({type(e).__name__})", "unreadable") from None
    lines = [ln for page in pages for ln in page if ln["text"].strip() and not _PAGE_NUMBER.match(ln["text"].strip())]
    text = "\n\n".join(_reflow(lines)) if lines else ""
    return Extracted(text, "pdf", title if isinstance(title, str) and title.strip() else None, pages=len(pages))


def _reflow(lines: list[dict]) -> list[str]:
    """Lines wrapped by the page layout joined back into paragraphs. A paragraph ends after a
    line that stops well short of the text's right edge, before an indented or centred line,
    before a clause marker ("Điều 5", "2.", "a)", "-"), or across a wide vertical gap."""
    left = min(ln["x0"] for ln in lines)
    right = max(ln["x1"] for ln in lines)
    width = right - left
    gaps = [b["top"] - a["bottom"] for a, b in zip(lines, lines[1:]) if b["top"] > a["top"]]
    usual = statistics.median(gaps) if gaps else 0.0
    paras: list[str] = []
    current: list[str] = []
    for i, ln in enumerate(lines):
        text = " ".join(ln["text"].split())
        if current:
            prev = lines[i - 1]
            short = prev["x1"] < right - 0.15 * width
            indented = ln["x0"] > left + 0.03 * width
            new_page = ln["top"] <= prev["top"]
            gap = ln["top"] - prev["bottom"]
            wide = not new_page and gap > max(usual * 1.8, usual + 4)
            if _MARKER.match(text) or wide or (indented and not new_page) or (short and not new_page):
                paras.append(" ".join(current))
                current = []
        current.append(text)
    if current:
        paras.append(" ".join(current))
    return paras


# --- web pages --------------------------------------------------------------------------------

def _html(path: Path) -> Extracted:
    import trafilatura

    raw = path.read_bytes()
    try:
        html = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        html = raw.decode("cp1258", errors="replace")
    text = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=True,
                               include_links=False, include_images=False, favor_precision=True,
                               deduplicate=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = getattr(meta, "title", None) if meta else None
    when = None
    if meta and getattr(meta, "date", None):
        try:
            when = date.fromisoformat(str(meta.date)[:10])
        except ValueError:
            when = None
    return Extracted(text, "html", title, when)
