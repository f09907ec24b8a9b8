"""In-memory store with the same contract as LMDB: for tests and scratch clusters.

Tables are dicts plus a sorted key list; a write transaction applies changes in place and keeps
an undo list, so an exception inside it leaves the store exactly as it was.
"""

from __future__ import annotations

import bisect
from contextlib import contextmanager
from typing import Iterator

from engine.log.kv import TABLES


class _Table:
    __slots__ = ("data", "keys")

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.keys: list[bytes] = []


class _MemTxn:
    def __init__(self, tables: dict[str, _Table], write: bool):
        self._t = tables
        self._write = write
        self.undo: list[tuple[str, bytes, bytes | None]] = []

    def get(self, table: str, key: bytes) -> bytes | None:
        return self._t[table].data.get(key)

    def scan(self, table: str, start: bytes = b"", stop: bytes | None = None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        t = self._t[table]
        lo = bisect.bisect_left(t.keys, start)
        hi = len(t.keys) if stop is None else bisect.bisect_left(t.keys, stop)
        keys = t.keys[lo:hi]
        if reverse:
            keys.reverse()
        for k in keys:
            v = t.data.get(k)
            if v is not None:
                yield k, v

    def put(self, table: str, key: bytes, value: bytes, append: bool = False) -> None:
        if not self._write:
            raise RuntimeError("write in a read-only transaction")
        t = self._t[table]
        old = t.data.get(key)
        if old is None:
            bisect.insort(t.keys, key)
        t.data[key] = bytes(value)
        self.undo.append((table, key, old))

    def delete(self, table: str, key: bytes) -> bool:
        if not self._write:
            raise RuntimeError("write in a read-only transaction")
        t = self._t[table]
        old = t.data.pop(key, None)
        if old is None:
            return False
        i = bisect.bisect_left(t.keys, key)
        del t.keys[i]
        self.undo.append((table, key, old))
        return True

    def rollback(self) -> None:
        for table, key, old in reversed(self.undo):
            t = self._t[table]
            cur = t.data.get(key)
            if old is None:
                if cur is not None:
                    del t.data[key]
                    del t.keys[bisect.bisect_left(t.keys, key)]
            else:
                if cur is None:
                    bisect.insort(t.keys, key)
                t.data[key] = old
        self.undo.clear()


class MemoryStore:
    """A store that lives as long as the process."""

    path = None

    def __init__(self) -> None:
        self._tables = {name: _Table() for name in TABLES}
        self.keyring = None  # encryption at rest (engine/crypto), set by the cluster

    @contextmanager
    def begin(self, write: bool = False):
        txn = _MemTxn(self._tables, write)
        txn.keyring = self.keyring
        try:
            yield txn
        except BaseException:
            if write:
                txn.rollback()
            raise

    def close(self) -> None:
        pass
