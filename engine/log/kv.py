"""The store contract: named tables of sorted byte keys, read and write transactions.

Everything the log keeps (entries, indexes, materialized objects) is written through this
contract, so the LMDB and in-memory stores (and later etcd) share one event-log implementation,
and one contract test class checks them all.
"""

from __future__ import annotations

from typing import Iterator, Protocol

TABLES = ("log", "meta", "objects", "versions", "idx_time", "idx_obj", "idx_user", "owners", "timers", "idx_node", "idx_alloc", "idx_usage")


class StoreError(Exception):
    """The store cannot be opened or read safely (corruption, truncation, wrong format)."""


class Conflict(StoreError):
    """A shared log (etcd) had another writer take the seq this write transaction wanted: the
    store now holds the winner's entries, and the caller decides its requests again. `committed`
    is the last seq of the transaction that did land (a batch split over several etcd
    transactions), else None. Single-writer stores never raise it."""

    def __init__(self, seq: int, committed: int | None = None):
        super().__init__(f"another writer appended seq {seq} first")
        self.seq, self.committed = seq, committed


class Txn(Protocol):
    def get(self, table: str, key: bytes) -> bytes | None: ...

    def scan(
        self, table: str, start: bytes = b"", stop: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Keys in [start, stop) in order (descending when reverse)."""
        ...

    def put(self, table: str, key: bytes, value: bytes, append: bool = False) -> None: ...

    def delete(self, table: str, key: bytes) -> bool: ...


class Store(Protocol):
    path: str | None

    def begin(self, write: bool = False) -> "TxnContext": ...

    def close(self) -> None: ...


class TxnContext(Protocol):
    def __enter__(self) -> Txn: ...

    def __exit__(self, *exc) -> bool | None: ...


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with `prefix` (None: no bound)."""
    p = bytearray(prefix)
    while p:
        if p[-1] < 0xFF:
            p[-1] += 1
            return bytes(p)
        p.pop()
    return None
