"""Moving logs: export as canonical JSON Lines, import with verification, salvage a good prefix.

Import checks each line as it goes (schema, seq order, hash chain, and that the reducers derive
the recorded object digest) and writes in batches of IMPORT_BATCH entries per transaction; it
stops at the first bad line, naming its seq, with everything before it kept.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TextIO

from engine.codec import CodecError, decode_entry, encode_entry, entry_digest, from_json_line, object_digest, pack, to_json_line
from engine.log import eventlog
from engine.log.kv import Store, StoreError, Txn
from engine.records import GENESIS_DIGEST
from reducers.keys import entry_key
from reducers.storage import next_object

IMPORT_BATCH = 1000


class ImportError_(ValueError):
    """A line that cannot join the log; `seq` is the first bad one (everything before is kept)."""

    def __init__(self, seq: int, line_no: int, why: str):
        super().__init__(f"line {line_no} (seq {seq}): {why}")
        self.seq, self.line_no = seq, line_no


def export_lines(txn: Txn, start: int = 1, stop: int | None = None) -> Iterator[str]:
    for e in eventlog.scan_entries(txn, start, stop):
        yield to_json_line(e)


def import_lines(store: Store, lines: Iterable[str], progress: Callable[[int], None] | None = None) -> int:
    """Append exported lines to an empty (or matching-prefix) store; returns entries imported."""
    from engine.log.verify import index_key_of

    it = iter(enumerate(lines, 1))
    imported = 0
    done = False
    failure: ImportError_ | None = None
    while not done and failure is None:
        with store.begin(write=True) as txn:
            head = eventlog.read_head(txn)
            n = 0
            for line_no, line in it:
                if not line.strip():
                    continue
                try:
                    head = _import_one(txn, head, line, line_no, index_key_of)
                except ImportError_ as exc:
                    failure = exc  # commit the good entries of this batch, then report
                    break
                imported += 1
                n += 1
                if n >= IMPORT_BATCH:
                    break
            else:
                done = True
            txn.put("meta", b"settled", pack(head.seq))  # imported history needs no re-settling
        if progress is not None:
            progress(imported)
    if failure is not None:
        raise failure
    return imported


def _import_one(txn: Txn, head, line: str, line_no: int, index_key_of):
    expected = head.seq + 1
    try:
        e = from_json_line(line)
    except CodecError as exc:
        raise ImportError_(expected, line_no, str(exc)) from None
    try:
        return apply_entry(txn, head, e)
    except ValueError as exc:
        raise ImportError_(e.seq if e.seq == expected else expected, line_no, str(exc)) from None


def apply_entry(txn: Txn, head, e):
    """Append an entry written elsewhere (an import, another writer of a shared log), checking
    that it continues this log (seq, hash chain, time) and that the reducers derive the object
    digest it records; ValueError says why not. Returns the new head."""
    from engine.log.verify import index_key_of

    if e.seq != head.seq + 1:
        raise ValueError(f"expected seq {head.seq + 1}, found {e.seq}")
    if e.prev_digest != head.digest:
        raise ValueError("hash chain broken: prev_digest does not match the entry before")
    if e.at < head.at:
        raise ValueError("time goes backwards")
    key = entry_key(e) if e.changed else None
    prev = eventlog.get_object(txn, key) if key is not None else None
    new = None
    if key is not None:
        try:
            new = next_object(prev, e)
        except Exception as exc:
            raise ValueError(f"reducers cannot apply the entry: {exc}") from None
        if object_digest(new) != e.outcome.digest:  # type: ignore[union-attr]
            raise ValueError("object digest does not match what the entry derives")
    return eventlog.append(txn, e, index_key_of(e), prev, new, head)


def salvage_entries(txn: Txn) -> tuple[list[bytes], int | None, str]:
    """Raw entries of the longest good prefix, the first bad seq (None if all good) and why."""
    good: list[bytes] = []
    prev = GENESIS_DIGEST
    expected = 1
    try:
        for seq, raw in eventlog.scan_raw(txn):
            if seq != expected:
                return good, expected, "missing entry"
            try:
                e = decode_entry(raw)
            except CodecError as exc:
                return good, seq, f"entry does not decode: {exc}"
            if e.prev_digest != prev or e.seq != seq:
                return good, seq, "hash chain broken"
            good.append(raw)
            prev = entry_digest(raw)
            expected += 1
    except Exception as exc:
        return good, expected, f"the store cannot read this entry: {exc}"
    return good, None, ""


def write_prefix(store: Store, raws: list[bytes]) -> int:
    """Rebuild a fresh store from good raw entries (decoded, re-derived, appended)."""
    return import_lines(store, (to_json_line(decode_entry(r)) for r in raws))


def dump(txn: Txn, out: TextIO, start: int = 1, stop: int | None = None) -> int:
    n = 0
    for line in export_lines(txn, start, stop):
        out.write(line + "\n")
        n += 1
    return n


__all__ = ["ImportError_", "StoreError", "dump", "encode_entry", "export_lines", "import_lines", "salvage_entries", "write_prefix"]
