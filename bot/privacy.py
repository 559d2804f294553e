"""Mask what identifies a resident in a question before it is stored: phone numbers, ID-card
numbers and e-mail addresses.

The exchange log keeps residents' questions for officials to review; a question such as "số
0912 345 678 của tôi bị khóa" must not turn the log into a list of phone numbers. Patterns:

* **E-mail**: `name@domain.tld` (letters, digits, `.`, `+`, `-`, `_` before the `@`; at least
  one dot after it) → `[email]`.
* **Numbers** are read as runs of digits joined by at most one space, dot or hyphen (`0912 345
  678`, `0912.345.678`, `+84-91-234-5678`, `(+84) 912345678`), counting the digits only:
  * **Phone** (`[số điện thoại]`): `+84`/`84` followed by 9–10 digits, or `0` followed by 9–10
    digits (Vietnamese mobiles are 0 + 9 digits, landlines 0 + 10, e.g. 024 3825 1234).
  * **ID card** (`[số CCCD/CMND]`): 9 digits (old CMND) or 12 digits (CCCD). A number written
    in thousands (`200.000.000` đồng) is an amount, not a card, unless it starts with 0 (card
    numbers begin with a 0 province code; amounts never do).
  Shorter numbers stay: dates (16/7/2021), hotlines (1900 9095, 8 digits), amounts, counts.

Not masked: passport numbers (a letter and 7 digits), names and street addresses — free text
cannot be told apart from the questions themselves.
"""
from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[số điện thoại]"
ID_CARD = "[số CCCD/CMND]"

# Tried only where a run of name characters starts: from inside a long run every attempt would
# scan to its end again (quadratic: a second for 20,000 characters).
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
# A run of digits joined by single separators; an opening "(" or "+" may lead ("(+84) 91…").
_RUN = re.compile(r"(?<![\d+])(?:\(\s?)?\+?\d(?:\d|[ .\-](?=\d)|\)[ .\-]?(?=\d))*(?!\d)")
# Thousands written out: an amount of money or a count, never a phone or card number.
_AMOUNT = re.compile(r"[1-9]\d{0,2}(?:[., ]\d{3})+")
_GROUP = re.compile(r"\(?\s?\+?\d+\)?")


def mask(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and ID-card numbers replaced by placeholders."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL.sub(EMAIL, text)
    return _RUN.sub(_number, text)


def _number(m: re.Match) -> str:
    """Mask, left to right, the longest stretch of a run that reads as a phone number (else as
    a card number), so "0912345678 123 456" still loses its phone number."""
    run = m.group()
    if _AMOUNT.fullmatch(run):
        return run
    groups = list(_GROUP.finditer(run))
    out, pos, i = [], 0, 0
    while i < len(groups):
        stretches = [(j, _classify(run[groups[i].start():groups[j].end()]))
                     for j in range(len(groups) - 1, i - 1, -1)]
        found = [s for s in stretches if s[1] == PHONE] or [s for s in stretches if s[1]]
        if found:
            j, label = found[0]
            out += [run[pos:groups[i].start()], label]
            pos, i = groups[j].end(), j + 1
        else:
            i += 1
    out.append(run[pos:])
    return "".join(out)


def _classify(run: str) -> str | None:
    digits = re.sub(r"\D", "", run)
    if digits.startswith("84") and ("+" in run or len(digits) in (11, 12)) and len(digits) - 2 in (9, 10):
        return PHONE
    if digits.startswith("0") and len(digits) - 1 in (9, 10):
        return PHONE
    if len(digits) in (9, 12) and not _AMOUNT.fullmatch(run.strip("() ")):
        return ID_CARD
    return None
