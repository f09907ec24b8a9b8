"""Indexed Jobs (`indexed_job_utils.go`): completion indexes, their interval lists, and which
indexes to start or which duplicate pods to remove.

`status.completedIndexes` is upstream's compressed list: `1,3-5,7` (two consecutive indexes are
written `3,4`, three or more `3-5`).
"""

from __future__ import annotations

from .util import COMPLETION_INDEX, has_finalizer, phase

UNKNOWN = -1
Intervals = list[tuple[int, int]]


def completion_index(pod: dict) -> int:
    """`getCompletionIndex`: the annotation as a non-negative int, else -1."""
    raw = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    if raw is None:
        return UNKNOWN
    text = str(raw)
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit():
        return UNKNOWN
    value = int(text)
    return value if value >= 0 else UNKNOWN


def with_ordered_indexes(intervals: Intervals, new: list[int]) -> Intervals:
    """`withOrderedIndexes`: merge sorted indexes into the intervals."""
    result: Intervals = []

    def add(first: int, last: int) -> None:
        if not result or first > result[-1][1] + 1:
            result.append((first, last))
        elif result[-1][1] < last:
            result[-1] = (result[-1][0], last)

    i = j = 0
    while i < len(intervals) and j < len(new):
        if intervals[i][0] < new[j]:
            add(*intervals[i])
            i += 1
        else:
            add(new[j], new[j])
            j += 1
    for iv in intervals[i:]:
        add(*iv)
    for ix in new[j:]:
        add(ix, ix)
    return result


def total(intervals: Intervals) -> int:
    return sum(last - first + 1 for first, last in intervals)


def has(intervals: Intervals, ix: int) -> bool:
    return any(first <= ix <= last for first, last in intervals)


def to_string(intervals: Intervals) -> str:
    parts = []
    for first, last in intervals:
        if last == first:
            parts.append(str(first))
        elif last == first + 1:
            parts.append(f"{first},{last}")
        else:
            parts.append(f"{first}-{last}")
    return ",".join(parts)


def from_string(text: str, completions: int) -> Intervals:
    """`succeededIndexesFromString`: corrupt parts are skipped, indexes >= completions dropped."""
    if not text:
        return []
    result: Intervals = []
    for part in text.split(","):
        limits = part.split("-")
        try:
            first = int(limits[0])
        except ValueError:
            continue
        if first >= completions:
            break
        if len(limits) > 1:
            try:
                last = int(limits[1])
            except ValueError:
                continue
            last = min(last, completions - 1)
        else:
            last = first
        if result and result[-1][1] == first - 1:
            result[-1] = (result[-1][0], last)
        else:
            result.append((first, last))
    return result


def succeeded_indexes(job: dict, pods: list[dict]) -> tuple[Intervals, Intervals]:
    """`calculateSucceededIndexes`: (from status, with the newly succeeded pods' indexes)."""
    completions = int((job.get("spec") or {}).get("completions") or 0)
    prev = from_string((job.get("status") or {}).get("completedIndexes") or "", completions)
    new = sorted({ix for p in pods for ix in [completion_index(p)]
                  if phase(p) == "Succeeded" and ix != UNKNOWN and ix < completions and has_finalizer(p)})
    return prev, with_ordered_indexes(prev, new)


def first_pending_indexes(active: list[dict], done: Intervals, count: int, completions: int) -> list[int]:
    """`firstPendingIndexes`: the lowest `count` indexes neither running nor succeeded."""
    if count <= 0:
        return []
    running = sorted({completion_index(p) for p in active} - {UNKNOWN})
    taken = with_ordered_indexes(done, running)
    result: list[int] = []
    candidate = 0
    for first, last in taken:
        while candidate < completions and len(result) < count and candidate < first:
            result.append(candidate)
            candidate += 1
        candidate = max(candidate, last + 1)
    while candidate < completions and len(result) < count:
        result.append(candidate)
        candidate += 1
    return result


def generate_name(job_name: str, index: int) -> str:
    """`podGenerateNameWithIndex`: `<job>-<index>-`, the job part shortened to fit 58 characters."""
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > 58:
        prefix = prefix[:58 - len(suffix)] + suffix
    return prefix
