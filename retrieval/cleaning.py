"""Separate rule text from web boilerplate, keeping character offsets into the original file.

News pages carry related-headline lists, photo captions, bylines and pull-quote attributions;
directives end with the list of recipients and a signature. None of that is a rule, so none of
it may ever be quoted. Cleaning returns the lines that remain, each with its original offsets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import fold


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # text[start:end] is the line without its newline or surrounding spaces
    text: str


# Markers after which a page holds nothing but other headlines or the recipients block.
_TAIL_MARKERS = ("co the ban quan tam", "nen xem", "tin khac", "tin lien quan", "xem them", "noi nhan")
_CAPTION = re.compile(r"\((?:Ảnh|Ảnh minh họa|Nguồn)\s*:[^)]*\)\s*\|?\s*$")
_AGENCY_PREFIX = re.compile(r"^[A-ZĐ]{2,8}\s*[-–]\s+")  # "TPO - ", "VOV - "
_TERMINAL = ".!?;:…\"”)"


def split_lines(text: str) -> list[Line]:
    """Non-empty lines with the offsets of their trimmed content."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            start = pos + (len(raw) - len(raw.lstrip()))
            lines.append(Line(start, start + len(stripped), stripped))
        pos += len(raw) + 1
    return lines


def clean(text: str) -> list[Line]:
    """The lines of `text` that are content, in order, offsets into `text`."""
    lines = split_lines(text)
    for i, line in enumerate(lines):  # everything after a tail marker is boilerplate
        if fold(line.text).rstrip(" :") in _TAIL_MARKERS:
            lines = lines[:i]
            break
    kept: list[Line] = []
    for i, line in enumerate(lines):
        if _is_caption(line.text) or _is_headline_strip(line.text):
            continue
        if _is_attribution(lines, i) or (0 < i == len(lines) - 1 and _is_byline(line.text)):
            continue
        kept.append(_strip_agency_prefix(line) if not kept else line)
    return kept


def _is_caption(s: str) -> bool:
    return bool(_CAPTION.search(s))


def _is_headline_strip(s: str) -> bool:
    """A row of related headlines rendered as one line ending with a '|' separator."""
    return s.endswith("|")


def _is_quote(s: str) -> bool:
    s = s.rstrip(".,")
    return s[:1] in "\"“" and s[-1:] in "\"”"


def _is_short_label(s: str) -> bool:
    return len(s.split()) <= 8 and s[-1:] not in _TERMINAL


def _is_attribution(lines: list[Line], i: int) -> bool:
    """Name and title lines under a pull quote ("Ông Nguyễn Văn Phong" / "Phó Bí thư ...")."""
    for back in (1, 2):
        j = i - back
        if j < 0 or not _is_short_label(lines[i].text):
            return False
        if _is_quote(lines[j].text):
            return True
        if not _is_short_label(lines[j].text):
            return False
    return False


def _is_byline(s: str) -> bool:
    """An author's name alone on the last line: two to four capitalised words."""
    ws = s.split()
    return 1 <= len(ws) <= 4 and all(w[:1].isupper() for w in ws) and s[-1:] not in _TERMINAL


def _strip_agency_prefix(line: Line) -> Line:
    m = _AGENCY_PREFIX.match(line.text)
    if not m:
        return line
    return Line(line.start + m.end(), line.end, line.text[m.end():])
