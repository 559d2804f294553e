"""What an answer says about whether its rule still holds, in residents' words.

A lapsed rule (expired or replaced) is said first and plainly, with the replacing document when
known; a rule in force gives the day it took effect; a document whose standing is unknown and
older than RULEBOT_STALE_AFTER (12 months by default) is called what it is: a document of that
day, which may have changed since. A news report is cited as a report of the rule ("theo tin
ngày … về Chỉ thị số 17/CT-UBND"), never as the rule itself.

Pure functions of an Answer or a Citation; bot/render.py places the blocks.
"""
from __future__ import annotations

import os
import re
from calendar import monthrange
from datetime import date

from retrieval.types import Answer, Citation, Source

DEFAULT_STALE_AFTER = "12m"
_AGE = re.compile(r"^\s*(\d+)\s*([dmy]?)\s*$")


def stale_after(value: str | None = None) -> tuple[int, str]:
    """RULEBOT_STALE_AFTER: "12" or "12m" (months), "365d", "1y"; a bad value falls back to 12 months."""
    raw = value if value is not None else os.environ.get("RULEBOT_STALE_AFTER", DEFAULT_STALE_AFTER)
    m = _AGE.match(raw or "")
    if not m:
        return 12, "m"
    return int(m.group(1)), m.group(2) or "m"


def is_stale(source: Source, day: date, age: tuple[int, str] | None = None) -> bool:
    """Signed longer ago than the configured age, as of `day`."""
    if not source.date:
        return False
    n, unit = age or stale_after()
    if unit == "d":
        return (day - source.date).days > n
    y, m = divmod(source.date.month - 1 + (n * 12 if unit == "y" else n), 12)
    year, month = source.date.year + y, m + 1
    return day > date(year, month, min(source.date.day, monthrange(year, month)[1]))


def _d(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "không rõ ngày"


def name(source: Source) -> str:
    """How a document is named in a sentence: its number, else its title."""
    return source.number or source.title


def reported_rule(source: Source) -> str | None:
    """What a news report reports on: the rule's number, else the directions of its issuer."""
    if source.kind != "report":
        return None
    return source.reports_on or source.number or (f"chỉ đạo của {source.issuer}" if source.issuer else "")


def _day(answer: Answer, today: date | None) -> date:
    return answer.checked_on or answer.as_of or today or date.today()


def _old(c: Citation, day: date, age) -> bool:
    return c.status == "unknown" and is_stale(c.source, day, age)


def lapsed_sentence(c: Citation, as_of: date | None = None) -> str | None:
    """The plain statement that a cited rule no longer holds; None when it does or may."""
    when = f"tính đến ngày {_d(as_of)}, " if as_of else ""
    if c.status == "superseded":
        by = name(c.replacement) if c.replacement else c.superseded_by
        since = f" từ ngày {_d(c.status_since)}" if c.status_since else ""
        return f"Lưu ý: {when}quy định dưới đây đã được thay thế bởi {by}{since}."
    if c.status == "expired":
        about = reported_rule(c.source)
        why = ""
        if about and c.effective_until:
            why = f" (theo tin ngày {_d(c.source.date)}, {about} áp dụng đến hết ngày {_d(c.effective_until)})"
        return f"Lưu ý: {when}quy định dưới đây đã hết hiệu lực từ ngày {_d(c.status_since)}{why}."
    return None


def all_old(answer: Answer, today: date | None = None, age=None) -> bool:
    """Every citation has lapsed or is an old document of unknown standing."""
    day = _day(answer, today)
    return bool(answer.citations) and all(
        c.status in ("expired", "superseded") or _old(c, day, age) for c in answer.citations)


def first(answer: Answer, contact: str, today: date | None = None, age=None) -> list[str]:
    """Sentences said before anything else: a lapsed leading rule, and old documents."""
    out: list[str] = []
    if not answer.main:
        return out
    gone = lapsed_sentence(answer.main, answer.as_of)
    if gone:
        out.append(gone)
    cites = answer.citations
    dates = sorted({c.source.date for c in cites if c.source.date})
    if all_old(answer, today, age) and dates:
        years = sorted({d.year for d in dates})
        span = f"năm {years[0]}" if len(years) == 1 else f"các năm {years[0]}–{years[-1]}"
        if len({c.source.id for c in cites}) == 1:
            said = f"văn bản này từ {span} (ngày {_d(dates[0])})"
        else:
            said = f"các văn bản này đều từ {span} (ngày {', '.join(_d(d) for d in dates)})"
        # after a lapsed rule's "Lưu ý: …" a second "Lưu ý:" would only repeat it
        said = said[0].upper() + said[1:] if out else f"Lưu ý: {said}"
        out.append(f"{said}; quy định có thể đã thay đổi; bạn nên kiểm tra với {contact}.")
    return out


def lead(answer: Answer) -> str | None:
    """The line above the main quote when its standing says more than "the closest clause"."""
    c = answer.main
    if not c:
        return None
    about = reported_rule(c.source)
    if about:
        return f"Theo tin ngày {_d(c.source.date)} về {about}:"
    if c.status == "in_force":
        return f"Quy định đang có hiệu lực (từ ngày {_d(c.status_since)}):"
    if c.status == "not_yet":
        when = f" (có hiệu lực từ ngày {_d(c.status_since)})" if c.status_since else ""
        return f"Quy định này chưa có hiệu lực{when}:"
    if c.status in ("expired", "superseded"):
        return f"Văn bản ngày {_d(c.source.date)} nêu:"
    return None


def note(c: Citation, answer: Answer, contact: str, today: date | None = None, age=None) -> str | None:
    """A short line under a citation's source line: its standing, unless already said first."""
    day = _day(answer, today)
    is_main = c is answer.main
    main = answer.main
    if not is_main and main and c.source.id == main.source.id and c.status == main.status:
        return None  # same document, same standing: said once, for the main quote
    report = c.source.kind == "report"
    if c.status == "in_force":
        if is_main and not report:
            return None  # the lead says it
        until = f" đến hết ngày {_d(c.effective_until)}" if c.effective_until else ""
        subject = "Theo tin này, quy định áp dụng" if report else "Có hiệu lực"
        return f"{subject} từ ngày {_d(c.status_since)}{until}."
    if c.status == "not_yet":
        if is_main and not report:
            return None
        if report and c.status_since:
            return f"Theo tin này, quy định áp dụng từ ngày {_d(c.status_since)}; hiện chưa có hiệu lực."
        return f"Chưa có hiệu lực{f': có hiệu lực từ ngày {_d(c.status_since)}' if c.status_since else ''}."
    if c.status == "expired":
        return None if is_main else f"Đã hết hiệu lực từ ngày {_d(c.status_since)}."
    if c.status == "superseded":
        if is_main:
            return None
        by = name(c.replacement) if c.replacement else c.superseded_by
        return f"Đã được thay thế bởi {by}{f' từ ngày {_d(c.status_since)}' if c.status_since else ''}."
    if _old(c, day, age) and not all_old(answer, today, age):
        return f"Văn bản này từ ngày {_d(c.source.date)}; quy định có thể đã thay đổi; bạn nên kiểm tra với {contact}."
    return None
