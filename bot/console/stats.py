"""Figures for the dashboard: use per day, the bot's accuracy as officials judged it, and the
questions it most often could not answer."""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from retrieval.query import QUESTION_WORDS
from retrieval.text import fold, words

from .exchanges import Exchange
from .reviews import Verdict, disagree

Z95 = 1.959964


@dataclass(frozen=True)
class Share:
    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """Wilson 95% interval: honest for the small weekly counts a review produces."""
        if not self.n:
            return None
        p, n = self.hits / self.n, self.n
        centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
        half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Day:
    day: date
    questions: int
    answered: int
    abstained: int
    other: int  # invalid input or error
    up: int
    down: int
    latency_median: float | None
    latency_p95: float | None
    reviewed: int


@dataclass(frozen=True)
class Week:
    start: date  # Monday
    accuracy: Share
    judged_disagree: int


@dataclass(frozen=True)
class Group:
    example: str
    count: int
    questions: tuple[str, ...]


def days(exchanges: Sequence[Exchange], reviewed: set[str], last: int = 30) -> list[Day]:
    """The last `last` days with any question, newest first."""
    by_day: dict[date, list[Exchange]] = defaultdict(list)
    for x in exchanges:
        by_day[x.local_at.date()].append(x)
    out = []
    for d in sorted(by_day, reverse=True)[:last]:
        xs = by_day[d]
        lat = sorted(x.latency_ms for x in xs if x.latency_ms is not None and x.status in ("answered", "no_match"))
        out.append(Day(
            d, len(xs), sum(x.status == "answered" for x in xs), sum(x.status == "no_match" for x in xs),
            sum(x.status not in ("answered", "no_match") for x in xs), sum(x.up for x in xs),
            sum(x.down for x in xs), statistics.median(lat) if lat else None,
            _quantile(lat, 0.95) if lat else None, sum(x.id in reviewed for x in xs)))
    return out


def correct(v: Verdict) -> bool:
    """An official's verdict counts the bot right only as *đúng*; every other verdict is a fault
    (wrong clause, answered when it should not have, abstained when it should have answered,
    quoted a rule no longer in force)."""
    return v.verdict == "correct"


def accuracy(exchanges: Sequence[Exchange], current: dict[str, list[Verdict]]) -> tuple[Share, list[Week]]:
    """Share judged correct, overall and per week of the exchange (Hà Nội time). Exchanges the
    officials disagree on are counted apart, not guessed."""
    weeks: dict[date, list[bool]] = defaultdict(list)
    split: Counter = Counter()
    for x in exchanges:
        vs = current.get(x.id)
        if not vs or x.status not in ("answered", "no_match"):
            continue
        d = x.local_at.date()
        monday = d - timedelta(days=d.weekday())
        if disagree(vs):
            split[monday] += 1
            continue
        weeks[monday].append(correct(vs[-1]))
    rows = [Week(w, Share(sum(weeks[w]), len(weeks[w])), split[w])
            for w in sorted(set(weeks) | set(split), reverse=True)]
    every = [ok for v in weeks.values() for ok in v]
    return Share(sum(every), len(every)), rows


def unanswered_groups(exchanges: Sequence[Exchange], top: int = 10, overlap: float = 0.5) -> list[Group]:
    """Abstained questions grouped by the words they share (folded, question words left out):
    a question joins the first group whose first question shares `overlap` of their words."""
    groups: list[tuple[set[str], list[str]]] = []
    for x in exchanges:
        if x.status != "no_match":
            continue
        key = {w for w in words(fold(x.question)) if w not in QUESTION_WORDS}
        if not key:
            continue
        for words_, members in groups:
            if len(key & words_) / len(key | words_) >= overlap:
                members.append(x.question)
                break
        else:
            groups.append((key, [x.question]))
    groups.sort(key=lambda g: -len(g[1]))
    return [Group(Counter(m).most_common(1)[0][0], len(m), tuple(dict.fromkeys(m))[:5]) for _, m in groups[:top]]


def _quantile(xs: list[float], q: float) -> float:
    if len(xs) < 2:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[round(q * 100) - 1]
