"""Read JSON-lines files of objects, reporting a bad line by file and line number."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def objects(path: Path, error: type[Exception], what: str = "File") -> Iterator[tuple[str, dict]]:
    """Yield ("file:line", object) for each non-blank line; `error` carries what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} not found: {path}")
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise error(f"{where}: not valid JSON ({e.msg})") from None
            if not isinstance(rec, dict):
                raise error(f"{where}: expected a JSON object")
            yield where, rec
