"""From ranked clauses to distinct passages: one place in a document gives one result."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from .chunking import MAX_JOINED_CHARS, join, overlap
from .types import Chunk


def distinct(ranked: Iterable[int], chunks: Sequence[Chunk], k: int) -> list[list[int]]:
    """Up to k groups of clause positions. A window overlapping a better-ranked hit is skipped,
    except right behind it (before any other clause), where it extends that hit into one passage
    of at most MAX_JOINED_CHARS. Otherwise the clause a question is about can hide behind a
    neighbouring window that shares half its text but not the sentence asked about."""
    groups: list[list[int]] = []
    for i in ranked:
        c = chunks[i]
        near = [g for g in groups if any(overlap(chunks[j], c) for j in g)]
        if not near:
            if len(groups) == k:
                break
            groups.append([i])
        elif near == [groups[-1]]:
            g = groups[-1] + [i]
            if max(chunks[j].end for j in g) - min(chunks[j].start for j in g) <= MAX_JOINED_CHARS:
                groups[-1] = g
    return groups


def passage(group: list[int], chunks: Sequence[Chunk], texts: dict[str, str]) -> Chunk:
    """One clause as it is, or overlapping windows joined into one exact slice of the source."""
    members = [chunks[i] for i in group]
    return members[0] if len(members) == 1 else join(members, texts[members[0].source_id])
