"""Watch events from the log: every change after a resourceVersion, exactly, from any point.

A resourceVersion is a log seq, and every entry changes at most one object, so the events after
RV are the changed entries with seq > RV for the watched resource, in order; the object after
each is `object_at(key, seq)` (a seek and a few reduces). Nothing is ever "too old": there is no
410 Gone, an old resourceVersion is replayed from the log.

Selectors are applied as kube-apiserver's watch cache does: an object entering the selection is
ADDED, leaving it is DELETED (with the new state), changing inside it is MODIFIED. A deleted
object is sent with its last state, its resourceVersion set to the deleting entry's seq.

Reads run in a read transaction off the event loop (LMDB readers do not block the writer).
"""

from __future__ import annotations

from typing import Callable

import attrs

from engine.log import eventlog
from engine.registry import ResourceType
from projections.timetravel import object_at
from reducers.keys import entry_key


@attrs.frozen
class WatchSpec:
    rt: ResourceType
    namespace: str  # "" = all namespaces (or cluster-scoped)
    matches: Callable[[dict], bool]


def events_since(store, spec: WatchSpec, after: int, limit: int = 5000) -> tuple[list[tuple[str, dict]], int]:
    """(events, last seq examined) for entries after `after`, up to the head (at most `limit` events)."""
    out: list[tuple[str, dict]] = []
    last = after
    with store.begin() as txn:
        head = eventlog.read_head(txn)
        if head.seq <= after:
            return out, max(after, 0)
        for e in eventlog.scan_entries(txn, after + 1, head.seq):
            last = e.seq
            if not e.changed:
                continue
            r = e.request
            if r.group != spec.rt.group or r.resource != spec.rt.plural:
                continue
            if spec.namespace and r.namespace != spec.namespace:
                continue
            key = entry_key(e)
            if key is None:
                continue
            new = object_at(txn, key, e.seq)
            old = object_at(txn, key, e.seq - 1)
            ev = classify(old, new, e.seq, spec.matches)
            if ev is not None:
                out.append(ev)
                if len(out) >= limit:
                    break
    return out, last


def classify(old: dict | None, new: dict | None, seq: int, matches: Callable[[dict], bool]) -> tuple[str, dict] | None:
    old_m = old is not None and matches(old)
    new_m = new is not None and matches(new)
    if new is None:
        if not old_m:
            return None
        gone = dict(old)
        gone["metadata"] = {**(old.get("metadata") or {}), "resourceVersion": str(seq)}
        return "DELETED", gone
    if old_m and new_m:
        return "MODIFIED", new
    if new_m:
        return "ADDED", new
    if old_m:
        return "DELETED", new
    return None
