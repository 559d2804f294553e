"""Markdown tables, the recall@k plot and the failure list for an Evaluation (runner.py).

Reports are committed so their history shows progress: nothing here depends on the clock except
the date line and the latencies, and the PNG is written without a software/date stamp.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .runner import (DEPTH, FLOORS, GROUPS, RANKING, SHIPPED, SHOWN, Evaluation, Outcome,
                          check_floors, failed, hubs)

_LABEL = {"recall@1": "R@1", "recall@3": "R@3", "recall@5": "R@5", "mrr@10": "MRR@10",
          "ndcg@10": "nDCG@10"}
RANKING_NOTE = (
    "Ranking metrics are over answerable questions and rank the top {depth} hits whether or not the "
    "system abstained; wrong abstention is reported on its own. Recall@k: share of questions with a "
    "relevant hit in the top k; MRR@{depth}: mean 1/rank of the first relevant hit; nDCG@{depth}: "
    "binary gains, each distinct relevant target counted once, ideal DCG from the number of targets "
    "(at most {depth}). Latency: wall time of one search call, model and index already loaded.")


def ranking_table(ev: Evaluation, groups: Sequence[str] = GROUPS) -> str:
    keys = RANKING
    lines = ["| questions | n | system | " + " | ".join(_LABEL[k] for k in keys) + " |",
             "|---|--:|---|" + "--:|" * len(keys)]
    for g in groups:
        for system in ev.systems:
            row = ev.summary(system)["groups"][g]
            name = f"**{system}**" if system == SHIPPED else system
            lines.append(f"| {g} | {row['n']} | {name} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")
    return "\n".join(lines)


def abstention_table(ev: Evaluation) -> str:
    lines = ["| system | off-topic abstained | answerable wrongly abstained | mean latency (ms) | p95 latency (ms) |",
             "|---|--:|--:|--:|--:|"]
    for system in ev.systems:
        s = ev.summary(system)
        off = "n/a" if s["offtopic_abstained"] is None else f"{s['offtopic_abstained']:.3f} (of {s['n_offtopic']})"
        name = f"**{system}**" if system == SHIPPED else system
        lines.append(f"| {name} | {off} | {s['wrong_abstained']:.3f} (of {s['n_answerable']}) | "
                     f"{s['latency_ms']:.1f} | {s['latency_p95_ms']:.1f} |")
    if ev.info.get("machine"):
        lines += ["", f"Latency measured on {ev.info['machine']}."]
    return "\n".join(lines)


def topics_table(ev: Evaluation) -> str:
    """Abstention on each kind of unanswerable question (old off-topic, near misses, small talk)."""
    topics = sorted({t for system in ev.systems for t in ev.summary(system)["abstained_by_topic"]})
    if not topics:
        return "No unanswerable questions."
    lines = ["| system | " + " | ".join(f"{t} abstained" for t in topics) + " | all unanswerable |",
             "|---|" + "--:|" * (len(topics) + 1)]
    for system in ev.systems:
        s = ev.summary(system)
        by = s["abstained_by_topic"]
        cells = [f"{by[t][0]:.3f} (of {by[t][1]})" if t in by else "n/a" for t in topics]
        name = f"**{system}**" if system == SHIPPED else system
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {s['offtopic_abstained']:.3f} (of {s['n_offtopic']}) |")
    return "\n".join(lines)


def hubs_table(ev: Evaluation, system: str = SHIPPED, limit: int = 10) -> str:
    """The clauses the shipped system puts first most often, and how often rightly so."""
    rows = hubs(ev.outcomes[system], limit)
    lines = ["| clause | first for | relevant (answerable) | not relevant (answerable) | off-topic, answered | text |",
             "|---|--:|--:|--:|--:|---|"]
    lines += [f"| `{r['chunk'].id}` | {r['first']} | {r['right']} | {r['wrong']} | {r['offtopic_answered']} | "
              f"{_excerpt(r['chunk'].text, 110)} |" for r in rows]
    return "\n".join(lines)


def first_quotes_table(ev: Evaluation) -> str:
    """The replies' first quotes (runner.first_quotes), when they were checked."""
    f = ev.info.get("first_quotes")
    if not f or not f["answerable"]:
        return ""
    n = f["answerable"]
    share = lambda k: f"{f[k]} ({f[k] / n:.3f})"  # noqa: E731
    return "\n".join(["| answerable | first quote relevant | first quote not relevant | not answered |",
                      "|--:|--:|--:|--:|", f"| {n} | {share('relevant')} | {share('not_relevant')} | "
                      f"{share('not_answered')} |"])


def floors_table(ev: Evaluation) -> str:
    s = ev.summary(SHIPPED)
    broken = {line.split(" ")[0] for line in check_floors(s)}
    lines = ["| metric | measured | floor | |", "|---|--:|---|---|"]
    for metric, (op, bound) in FLOORS.items():
        v = s.get(metric)
        lines.append(f"| {metric} | {'n/a' if v is None else f'{v:.3f}'} | {op} {bound} | "
                     f"{'BELOW' if metric in broken else 'ok'} |")
    return "\n".join(lines)


def plot(ev: Evaluation, png: Path, title: str, groups: Sequence[str] = GROUPS) -> Path:
    """Recall@k, k = 1…DEPTH, one line per system, one panel per question group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.8), sharey=True, squeeze=False)
    ks = list(range(1, DEPTH + 1))
    styles = {"lexical": ("tab:orange", "s"), "dense": ("tab:blue", "o"), "hybrid": ("tab:green", "D")}
    for ax, g in zip(axes[0], groups):
        for system in ev.systems:
            curve = [_group_recall(ev.outcomes[system], g, k) for k in ks]
            color, marker = styles.get(system, (None, "."))
            ax.plot(ks, curve, marker=marker, markersize=4, color=color, label=system,
                    linewidth=2.2 if system == SHIPPED else 1.4)
        n = ev.summary(ev.systems[0])["groups"][g]["n"]
        ax.set_title(f"{g} (n={n})", fontsize=10)
        ax.set_xlabel("k")
        ax.set_xticks(ks)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("Recall@k")
    axes[0][0].set_ylim(0, 1.02)
    axes[0][0].legend(loc="lower right")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return png


def _group_recall(rows: Sequence[Outcome], group: str, k: int) -> float:
    from .metrics import hit_at, mean

    keep = [o for o in rows if o.case.answerable and (
        group == "all" or o.case.diacritics == (group == "with diacritics"))]
    return mean([hit_at(o.judged, k) for o in keep])


# --- failures ------------------------------------------------------------------------------

def _excerpt(text: str, n: int = 220) -> str:
    t = " ".join(text.split()).replace("|", "\\|")
    return t if len(t) <= n else t[: n - 1] + "…"


def _ranks(ev: Evaluation, i: int) -> str:
    parts = []
    for system in ev.systems:
        r = ev.outcomes[system][i].rank
        parts.append(f"{system} {r if r is not None else f'>{DEPTH}'}")
    return ", ".join(parts)


def _missing(o: Outcome) -> str:
    if o.other:
        return f", the clause names {o.other[1]}, not {o.other[0]}"
    return f", the clause gives no {o.missing} figure" if o.missing else ""


def _signals(o: Outcome) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in o.signals.items())


def failures_section(ev: Evaluation, limit: int | None = None, shown: int = SHOWN) -> str:
    """Every failure of the shipped system (or the first `limit`), with what it retrieved instead."""
    rows = ev.outcomes[SHIPPED]
    missed = [(i, o) for i, o in enumerate(rows) if o.case.answerable and failed(o)]
    answered = [(i, o) for i, o in enumerate(rows) if not o.case.answerable and failed(o)]
    out = [f"Shipped system ({SHIPPED}). A failure is an answerable question with no relevant clause in "
           f"the top {shown} (what the bot shows) or wrongly abstained on, or an off-topic question it "
           "answered. “First relevant rank” is given for each system.", ""]
    out.append(f"### Answerable, missed ({len(missed)})")
    for i, o in missed[:limit]:
        tags = ", ".join(t for t in (getattr(o.case.record, "topic", ""),
                                     "with diacritics" if o.case.diacritics else "without diacritics") if t)
        out += ["", f"#### {o.case.id} — {_excerpt(o.case.question, 300)}",
                f"{tags}. First relevant rank: {_ranks(ev, i)}. Abstained: {'yes' if o.abstained else 'no'}{_missing(o)} "
                f"({_signals(o)}).", "", "Expected:"]
        out += [f"- {_excerpt(e, 300)}" for e in o.case.expected]
        out += ["", f"Retrieved instead (top {shown}):"]
        out += [f"{h.rank}. `{h.chunk.id}` ({h.chunk.location}, score {h.score:.3f}) {_excerpt(h.chunk.text)}"
                for h in o.hits[:shown]] or ["(nothing)"]
    if limit is not None and len(missed) > limit:
        out += ["", f"… and {len(missed) - limit} more."]
    if any(not o.case.answerable for o in rows):
        out += ["", f"### Off-topic, answered anyway ({len(answered)})", ""]
        if answered:
            out += ["| id | question | signals | top hit |", "|---|---|---|---|"]
            out += [f"| {o.case.id} | {_excerpt(o.case.question, 120)} | {_signals(o)} | "
                    f"`{o.hits[0].chunk.id}` {_excerpt(o.hits[0].chunk.text, 120)} |" for _, o in answered[:limit]]
    late = [(i, o) for i, o in enumerate(rows)
            if o.case.answerable and not failed(o) and o.rank is not None and o.rank > 1]
    out += ["", f"### Shown, but not first (relevant at rank 2–{shown}: {len(late)})", ""]
    if late:
        out += ["| id | question | first relevant rank | top hit instead |", "|---|---|---|---|"]
        out += [f"| {o.case.id} | {_excerpt(o.case.question, 120)} | {_ranks(ev, i)} | "
                f"`{o.hits[0].chunk.id}` {_excerpt(o.hits[0].chunk.text, 100)} |" for i, o in late[:limit]]
    return "\n".join(out)


def unreachable_section(ev: Evaluation) -> str:
    unreachable = ev.info.get("unreachable") or {}
    missing = ev.info.get("missing_sources") or []
    out = []
    if missing:
        out.append("Evidence names sources that are not in the index: " + ", ".join(f"`{m}`" for m in missing) + ".")
    if not unreachable:
        return "\n".join(out + ["Every evidence span is matched by at least one chunk of the index."])
    cases = {o.case.id: o.case for o in ev.outcomes[ev.systems[0]]}
    dead = [qid for qid, spans in unreachable.items() if len(spans) == cases[qid].n_relevant]
    out.append(f"{sum(map(len, unreachable.values()))} evidence span(s) in {len(unreachable)} question(s) are "
               "matched by no chunk (the span crosses a chunk boundary, or sits in text the chunker does not "
               f"index). {len(dead)} question(s) can therefore never count as found: "
               f"{', '.join(dead) or 'none'}; the others still have another span to find.")
    out.append("")
    for qid, spans in unreachable.items():
        out += [f"- {qid}: `{ev_.source_id}` “{_excerpt(ev_.span, 200)}”" for ev_ in spans]
    return "\n".join(out)


# --- whole reports -------------------------------------------------------------------------

def header(ev: Evaluation) -> str:
    s = ev.summary(ev.systems[0])
    rows = ev.outcomes[ev.systems[0]]
    with_d = sum(o.case.diacritics for o in rows if o.case.answerable)
    i = ev.info
    return (f"Gold `{i.get('gold')}`, split **{i.get('split')}**: {len(rows)} questions, "
            f"{s['n_answerable']} answerable ({with_d} with diacritics, {s['n_answerable'] - with_d} without), "
            f"{s['n_offtopic']} off-topic. Index `{i.get('index')}` ({i.get('documents')} documents, "
            f"{i.get('chunks')} chunks), model `{Path(str(i.get('model'))).name}`. "
            f"Generated {date.today().isoformat()} by `rulebot eval`.")


def write(ev: Evaluation, out: Path, title: str) -> tuple[Path, Path]:
    """The gold-set report: tables, floors, plot, threshold what-if, unreachable evidence, failures."""
    out = Path(out)
    png = plot(ev, out.with_suffix(".png"), f"{title} — {ev.info.get('split')}")
    parts = [f"# {title}", "", header(ev), "", RANKING_NOTE.format(depth=DEPTH), "",
             "## Ranking (answerable questions)", "", ranking_table(ev), "",
             f"![Recall@k]({png.name})", "",
             "## Abstention and latency", "", abstention_table(ev), "",
             "By kind of unanswerable question:", "", topics_table(ev), "",
             "## Hubs (shipped system)", "",
             "The clauses that come first for the most questions. A clause first for many questions it "
             "is not relevant to pulls answers its way; the rules-lead step and the abstention bar are "
             "meant to keep these honest.", "", hubs_table(ev), ""]
    if first_quotes_table(ev):
        parts += ["## What a resident reads first (the bot's reply)", "",
                  "Each answerable question asked as the bot asks it (`Engine.answer`): is the quote its "
                  "reply opens with relevant? Not answered: the bot said it found nothing.", "",
                  first_quotes_table(ev), ""]
    if ev.info.get("floors"):
        parts += ["## Regression floors (shipped system, enforced by tests/integration/test_evaluate.py)", "",
                  floors_table(ev), ""]
    parts += ["## Evidence no chunk can match", "", unreachable_section(ev), "",
              "## Failures", "", failures_section(ev), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    return out, png


def console_summary(ev: Evaluation) -> str:
    lines = [ranking_table(ev), "", abstention_table(ev), "", topics_table(ev), "",
             "Hubs (the clauses first most often):", hubs_table(ev, limit=5)]
    if first_quotes_table(ev):
        lines += ["", "What a resident reads first (the bot's reply):", first_quotes_table(ev)]
    if ev.info.get("floors"):
        broken = check_floors(ev.summary(SHIPPED))
        lines += ["", "Floors: " + ("all held" if not broken else "BELOW: " + "; ".join(broken))]
    fails = [o.case.id for o in ev.outcomes[SHIPPED] if failed(o)]
    lines += ["", f"Failures of {SHIPPED} ({len(fails)}): {' '.join(fails) or 'none'}"]
    return "\n".join(lines)
