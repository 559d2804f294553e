"""One gold run as `rulebot eval` does it: ask every question of a split, write the report."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .. import settings
from . import gold, report
from .runner import DEFAULT_GOLD, DEFAULT_GOLDS, FLOORS, REPORTS, SYSTEMS, Evaluation, evaluate_gold, first_quotes


def load_golds(paths: Sequence[str | Path], split: str) -> list[gold.GoldQuestion]:
    """The questions of one split from several gold files, in order; ids must not repeat."""
    out, seen = [], set()
    for path in paths:
        for q in gold.load(path, split):
            if q.id in seen:
                raise gold.GoldError(f"{path}: id '{q.id}' is used by another gold file too")
            seen.add(q.id)
            out.append(q)
    return out


def evaluate_gold_file(engine, gold_path: str | Path | Sequence[str | Path] = DEFAULT_GOLDS,
                       split: str = "test", out: str | Path | None = None,
                       progress=None) -> tuple["Evaluation", Path, Path]:
    """Ask every question of one split of one or more gold files (by default the gold set and the
    near misses), write the report (and plot) and return all three.

    FLOORS are attached only to the test split of the default files (both among those asked)."""
    paths = [Path(gold_path)] if isinstance(gold_path, (str, Path)) else [Path(p) for p in gold_path]
    questions = load_golds(paths, split)
    if progress:
        progress(f"{len(questions)} questions × {len(SYSTEMS)} systems …")
    ev = evaluate_gold(engine, questions, progress=progress)
    ev.info["first_quotes"] = first_quotes(engine, questions)
    resolved = [p.resolve() for p in paths]
    default = DEFAULT_GOLD.resolve() in resolved
    with_floors = all(p.resolve() in resolved for p in DEFAULT_GOLDS) and split == "test"
    ev.info.update(gold=", ".join(_shown_path(p) for p in resolved), split=split,
                   index=_shown_path(engine.index.path), floors=FLOORS if with_floors else None)
    name = f"eval-{split}.md" if default else f"eval-{resolved[0].stem}-{split}.md"
    out = Path(out) if out else REPORTS / name
    md, png = report.write(ev, out, title="Retrieval evaluation on the gold questions")
    return ev, md, png


def _shown_path(p: Path) -> str:
    p = Path(p).resolve()
    try:
        return str(p.relative_to(settings.REPO))
    except ValueError:
        return str(p)

