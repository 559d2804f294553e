"""Index generations: `var/index` is a symbolic link to the current complete index directory,

    var/index -> index.generations/g000007
    var/index.generations/g000006/  g000007/  ...

and a new one (a full build or an update) is made current by one atomic rename of the link, so a
reader sees the old index or the new one, never a mixture."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

KEEP = 3  # generations kept: the current one and two before it, for readers still loading them
SUFFIX = ".generations"



def generations(out: Path) -> Path:
    out = Path(out)
    return out.parent / f"{out.name}{SUFFIX}"


def current(out: Path) -> Path:
    """The directory `out` stands for now (resolved once, so a reader reads one generation)."""
    return Path(os.path.realpath(out))


def publish(built: Path, out: Path, keep: int = KEEP) -> Path:
    """Make the complete index at `built` current at `out`: moved into the generations folder,
    then the link swapped with one atomic rename. An index directory from before generations
    is moved in as the previous generation first (the one moment `out` is briefly absent)."""
    out, built = Path(out), Path(built)
    gens = generations(out)
    gens.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_symlink():
        out.rename(gens / _next_name(gens))
    target = gens / _next_name(gens)
    built.rename(target)
    _fsync_dir(gens)
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, out.parent), link)
    os.replace(link, out)
    _fsync_dir(out.parent)
    prune(out, keep)
    return target


def prune(out: Path, keep: int = KEEP) -> None:
    """Drop old generations and any half-written directory a crash left behind."""
    gens = generations(out)
    live = current(out)
    names = sorted(p for p in gens.iterdir() if p.is_dir() and p.name.startswith("g")) if gens.is_dir() else []
    for p in names[:-keep]:
        if p.resolve() != live:
            shutil.rmtree(p, ignore_errors=True)
    for p in Path(out).parent.glob(f".{Path(out).name}.updating-*"):
        if time.time() - p.stat().st_mtime > 3600:  # not a neighbour's update in progress
            shutil.rmtree(p, ignore_errors=True)


def _next_name(gens: Path) -> str:
    nums = [int(p.name[1:]) for p in gens.iterdir() if p.name[:1] == "g" and p.name[1:].isdigit()]
    return f"g{max(nums, default=0) + 1:06d}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
