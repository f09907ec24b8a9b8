"""Verification: the log is re-read and re-folded, and everything derived is checked against it.

Checks, in one pass: seqs are gap-free from 1; each entry decodes; each `prev` is the digest of
the entry before; each admitted write's object digest matches what the reducers derive now; the
head record matches the last entry; and, at the end, every materialized table (objects,
versions, indexes, owners, pods by node) equals what a rebuild from the log would write, byte for byte.
The first failure is reported with its seq.
"""

from __future__ import annotations

from typing import Callable

import attrs

from engine.codec import CodecError, decode_entry, entry_digest, object_digest, pack
from engine.log import eventlog
from engine.quota import index as quota_index
from engine.log.eventlog import SEP, SNAPSHOT_EVERY, u64
from engine.log.kv import Txn
from engine.records import GENESIS_DIGEST, LogEntry
from reducers.keys import entry_key, index_key
from reducers.services import alloc_rows
from reducers.storage import next_object


@attrs.frozen
class Problem:
    seq: int
    what: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.what}" if self.seq else self.what


@attrs.define
class Report:
    entries: int = 0
    objects: int = 0
    problems: list[Problem] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [p.seq for p in self.problems if p.seq]
        return min(seqs) if seqs else None


class _Rebuild:
    """What the derived tables must hold, recomputed from entries (the same code path as append)."""

    def __init__(self) -> None:
        self.objects: dict[bytes, dict] = {}
        self.tables: dict[str, dict[bytes, bytes]] = {t: {} for t in ("versions", "idx_time", "idx_obj", "idx_user", "owners", "idx_node", "idx_alloc", "idx_usage")}
        self._since_snapshot: dict[bytes, int] = {}
        self._last_at: int | None = None

    def add(self, e: LogEntry, key: bytes | None, index_key: bytes | None, new: dict | None, prev: dict | None) -> None:
        seq_b = u64(e.seq)
        if self._last_at is None or e.at != self._last_at:
            self.tables["idx_time"][u64(e.at)] = seq_b
            self._last_at = e.at
        self.tables["idx_user"][e.request.user.encode() + SEP + seq_b] = b""
        if e.request.impersonator:
            self.tables["idx_user"][e.request.impersonator.encode() + SEP + seq_b] = b""
        if index_key is not None:
            self.tables["idx_obj"][index_key + SEP + seq_b] = b""
        if key is None or not e.changed:
            return
        vkey = key + SEP + seq_b
        if new is None:
            self.objects.pop(key, None)
            self.tables["versions"][vkey] = b"D"
            self._since_snapshot[key] = 0
        else:
            self.objects[key] = new
            n = self._since_snapshot.get(key)
            if n is None or n >= SNAPSHOT_EVERY - 1:
                self.tables["versions"][vkey] = b"S" + pack(new)
                self._since_snapshot[key] = 0
            else:
                self.tables["versions"][vkey] = b""
                self._since_snapshot[key] = n + 1
        owners = self.tables["owners"]
        for uid in eventlog._owner_uids(prev) - eventlog._owner_uids(new):
            owners.pop(uid.encode() + SEP + key, None)
        for uid in eventlog._owner_uids(new) - eventlog._owner_uids(prev):
            owners[uid.encode() + SEP + key] = b""
        usage = self.tables["idx_usage"]
        quota_index.apply(usage.get, usage.__setitem__, lambda k: usage.pop(k, None), key, prev, new)
        if key.startswith(eventlog.SERVICE_PREFIX):
            alloc = self.tables["idx_alloc"]
            old_rows, new_rows = alloc_rows(prev), alloc_rows(new)
            for row in old_rows - new_rows:
                if alloc.get(row) == key:
                    del alloc[row]
            for row in new_rows - old_rows:
                alloc[row] = key
        if key.startswith(eventlog.POD_PREFIX):
            nodes = self.tables["idx_node"]
            old_row, new_row = eventlog.node_row(key, prev), eventlog.node_row(key, new)
            if old_row is not None:
                nodes.pop(old_row[0], None)
            if new_row is not None:
                nodes[new_row[0]] = new_row[1]


index_key_of = index_key  # kept for callers that import it from here


def verify(txn: Txn, progress: Callable[[int, int], None] | None = None, deep: bool = True) -> Report:
    report = Report()
    try:
        head: eventlog.Head | None = eventlog.read_head(txn)
    except Exception:  # a damaged head record: the entries themselves are still the truth
        head = None
    rebuild = _Rebuild()
    expected_seq, prev_digest = 1, GENESIS_DIGEST
    last_at = 0
    try:
        for seq, raw in eventlog.scan_raw(txn):
            if seq != expected_seq:
                report.problems.append(Problem(expected_seq, f"missing entry (next present is {seq})"))
                break
            try:
                e = decode_entry(raw)
            except CodecError as exc:
                report.problems.append(Problem(seq, f"entry does not decode: {exc}"))
                break
            if e.seq != seq:
                report.problems.append(Problem(seq, f"entry stored under seq {seq} says seq {e.seq}"))
                break
            if e.prev_digest != prev_digest:
                report.problems.append(Problem(seq, "hash chain broken: prev_digest does not match the entry before"))
                break
            if e.at < last_at:
                report.problems.append(Problem(seq, "time goes backwards"))
                break
            key = entry_key(e) if e.changed else None
            prev_obj = rebuild.objects.get(key) if key is not None else None
            new_obj = None
            if key is not None:
                try:
                    new_obj = next_object(prev_obj, e)
                except Exception as exc:  # a reducer that cannot apply the entry is drift too
                    report.problems.append(Problem(seq, f"reducers cannot apply the entry: {exc}"))
                    break
                got = object_digest(new_obj)
                if got != e.outcome.digest:  # type: ignore[union-attr]
                    report.problems.append(Problem(seq, f"object digest drift: recorded {e.outcome.digest}, derived {got}"))  # type: ignore[union-attr]
                    break
            rebuild.add(e, key, index_key_of(e), new_obj, prev_obj)
            prev_digest = entry_digest(raw)
            last_at = e.at
            expected_seq += 1
            report.entries += 1
            if progress is not None and seq % 10_000 == 0:
                progress(seq, head.seq if head else 0)
    except Exception as exc:  # the store itself failed to read a page (corruption)
        report.problems.append(Problem(expected_seq, f"the store cannot read this entry: {exc}"))
    if report.problems:
        return report
    if head is None or head.seq != report.entries or head.digest != prev_digest:
        report.problems.append(Problem(report.entries + 1, "the head record is damaged or does not match the last entry"))
        return report
    report.objects = len(rebuild.objects)
    if deep:
        _compare_materialized(txn, rebuild, report)
    return report


def _compare_materialized(txn: Txn, rebuild: _Rebuild, report: Report) -> None:
    stored = {bytes(k): bytes(v) for k, v in txn.scan("objects")}
    derived = {k: pack(v) for k, v in rebuild.objects.items()}
    if stored != derived:
        bad = sorted(set(stored) ^ set(derived) | {k for k in stored.keys() & derived.keys() if stored[k] != derived[k]})
        report.problems.append(Problem(0, f"materialized objects differ from the fold for {len(bad)} key(s), first {bad[0]!r}"))
    for table, want in rebuild.tables.items():
        have = {bytes(k): bytes(v) for k, v in txn.scan(table)}
        if have != want:
            diff = sorted(set(have) ^ set(want) | {k for k in have.keys() & want.keys() if have[k] != want[k]})
            report.problems.append(Problem(0, f"table {table} differs from a rebuild for {len(diff)} key(s), first {diff[0]!r}"))


def rebuild_derived(txn: Txn) -> int:
    """Drop and recompute every derived table from the log (a cache rebuild); returns entries read."""
    rebuild = _Rebuild()
    n = 0
    for e in eventlog.scan_entries(txn):
        key = entry_key(e) if e.changed else None
        prev = rebuild.objects.get(key) if key is not None else None
        new = next_object(prev, e) if key is not None else None
        rebuild.add(e, key, index_key_of(e), new, prev)
        n += 1
    for table in ("objects", *rebuild.tables):
        for k, _ in list(txn.scan(table)):
            txn.delete(table, bytes(k))
    for k, v in rebuild.objects.items():
        txn.put("objects", k, pack(v))
    for table, rows in rebuild.tables.items():
        for k in sorted(rows):
            txn.put(table, k, rows[k])
    return n
