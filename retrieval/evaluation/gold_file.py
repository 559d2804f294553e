"""One gold run as `rulebot eval` does it: ask every question of a split, write the report."""
from __future__ import annotations

from pathlib import Path

from .. import settings
from . import gold, report
from .runner import DEFAULT_GOLD, FLOORS, REPORTS, SYSTEMS, Evaluation, evaluate_gold


def evaluate_gold_file(engine, gold_path: str | Path = DEFAULT_GOLD, split: str = "test",
                       out: str | Path | None = None, progress=None) -> tuple["Evaluation", Path, Path]:
    """Ask every question of one split, write the report (and plot) and return all three.

    FLOORS are attached only to the default gold set's test split, the one they were set on."""
    questions = gold.load(gold_path, split)
    if progress:
        progress(f"{len(questions)} questions × {len(SYSTEMS)} systems …")
    ev = evaluate_gold(engine, questions, progress=progress)
    gold_path = Path(gold_path).resolve()
    default = gold_path == DEFAULT_GOLD.resolve()
    ev.info.update(gold=_shown_path(gold_path), split=split, index=_shown_path(engine.index.path),
                   floors=FLOORS if default and split == "test" else None)
    out = Path(out) if out else REPORTS / (
        f"eval-{split}.md" if default else f"eval-{gold_path.stem}-{split}.md")
    md, png = report.write(ev, out, title="Retrieval evaluation on the gold questions")
    return ev, md, png


def _shown_path(p: Path) -> str:
    p = Path(p).resolve()
    try:
        return str(p.relative_to(settings.REPO))
    except ValueError:
        return str(p)
