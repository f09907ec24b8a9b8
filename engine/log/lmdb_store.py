"""LMDB store: the embedded default. One environment, one named database per table.

Durability: every write transaction is synced before the call returns (`sync`+`metasync`), so an
acknowledged request survives a crash; a killed process loses at most the transaction in flight,
because LMDB never overwrites live pages (copy-on-write B-tree with two meta pages).

Before opening, the file's meta pages are read by hand and checked against the file's size:
LMDB maps the file into memory, and a truncated file would otherwise crash the process with
SIGBUS on the first read past its end instead of giving an error.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from contextlib import contextmanager
from typing import Iterator

import lmdb

from engine.log.kv import TABLES, StoreError

MAP_SIZE = 1 << 36  # 64 GiB of address space; the file only grows as data is written
_MAGIC = 0xBEEFC0DE


def check_file(path: str) -> None:
    """Raise StoreError when data.mdb is not an LMDB file or is shorter than its meta page says."""
    data = os.path.join(path, "data.mdb")
    if not os.path.exists(data):
        return
    size = os.path.getsize(data)
    with open(data, "rb") as f:
        head = f.read(2 * 65536)
    best = None
    for page_size in (4096, 8192, 16384, 65536):
        for idx in (0, 1):
            off = idx * page_size
            if off + 160 > len(head):
                continue
            magic, _version = struct.unpack_from("<II", head, off + 16)
            if magic != _MAGIC:
                continue
            psize = struct.unpack_from("<I", head, off + 40)[0]
            last_pg, txnid = struct.unpack_from("<QQ", head, off + 136)
            if psize != page_size:
                continue
            if best is None or txnid > best[2]:
                best = (psize, last_pg, txnid)
        if best:
            break
    if best is None:
        raise StoreError(f"{data}: not a kubetape log (no valid LMDB meta page); the file is damaged or of another format")
    psize, last_pg, _ = best
    need = (last_pg + 1) * psize
    if size < need:
        raise StoreError(
            f"{data}: log file is truncated ({size} bytes, its last commit needs {need}); "
            "run `ktape verify` to find the first bad seq and `ktape recover --to DIR` to keep the good prefix"
        )


def salvage_copy(path: str) -> str:
    """A temporary, zero-padded copy of a damaged environment that can be opened without SIGBUS."""
    tmp = tempfile.mkdtemp(prefix="ktape-salvage-")
    src = os.path.join(path, "data.mdb")
    dst = os.path.join(tmp, "data.mdb")
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        head = f.read(2 * 4096)
        need = 0
        for off in (0, 4096):
            if off + 160 <= len(head) and struct.unpack_from("<I", head, off + 16)[0] == _MAGIC:
                psize = struct.unpack_from("<I", head, off + 40)[0]
                last_pg = struct.unpack_from("<Q", head, off + 136)[0]
                need = max(need, (last_pg + 1) * psize)
        f.seek(0, os.SEEK_END)
        if f.tell() < need:
            f.truncate(need)
    return tmp


def _damaged(exc: Exception) -> StoreError:
    return StoreError(f"the log file is damaged ({exc}); run `ktape verify` to find the first bad seq")


class _LmdbTxn:
    __slots__ = ("_txn", "_dbs", "keyring")

    def __init__(self, txn: lmdb.Transaction, dbs: dict, keyring=None):
        self._txn = txn
        self._dbs = dbs
        self.keyring = keyring  # encryption at rest (engine/crypto): None when not configured

    def get(self, table: str, key: bytes) -> bytes | None:
        try:
            return self._txn.get(key, db=self._dbs[table])
        except lmdb.Error as exc:
            raise _damaged(exc) from None

    def scan(self, table: str, start: bytes = b"", stop: bytes | None = None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        try:
            yield from self._scan(table, start, stop, reverse)
        except lmdb.Error as exc:
            raise _damaged(exc) from None

    def _scan(self, table: str, start: bytes, stop: bytes | None, reverse: bool) -> Iterator[tuple[bytes, bytes]]:
        cur = self._txn.cursor(db=self._dbs[table])
        if not reverse:
            if not cur.set_range(start) if start else not cur.first():
                return
            for k, v in cur:
                if stop is not None and k >= stop:
                    return
                yield k, v
        else:
            if stop is None:
                ok = cur.last()
            else:
                ok = cur.set_range(stop)
                ok = cur.prev() if ok else cur.last()
            if not ok:
                return
            while True:
                k = cur.key()
                if k < start:
                    return
                yield k, cur.value()
                if not cur.prev():
                    return

    def put(self, table: str, key: bytes, value: bytes, append: bool = False) -> None:
        self._txn.put(key, value, db=self._dbs[table], append=append)

    def delete(self, table: str, key: bytes) -> bool:
        return self._txn.delete(key, db=self._dbs[table])


class LmdbStore:
    """A log folder on disk (`data.mdb` + `lock.mdb`)."""

    def __init__(self, path: str, *, read_only: bool = False, durable: bool = True, check: bool = True):
        self.path = path
        self.read_only = read_only
        self.keyring = None  # set by the cluster when the data folder has an encryption configuration
        if check:
            check_file(path)
        if read_only and not os.path.exists(os.path.join(path, "data.mdb")):
            raise StoreError(f"{path}: no kubetape log here")
        if not read_only:
            os.makedirs(path, exist_ok=True)
        try:
            self.env = lmdb.open(
                path,
                map_size=MAP_SIZE,
                max_dbs=len(TABLES) + 1,
                subdir=True,
                readonly=read_only,
                lock=not read_only,
                sync=durable,
                metasync=durable,
                readahead=False,
                # LMDB's docs: without meminit, unused parts of written pages hold whatever the
                # process's malloc'd memory held, which leaked bearer tokens into data.mdb (caught
                # by tests/auth/test_cli_auth.py); zeroing them costs little next to the fsync.
                meminit=True,
            )
            self._dbs = {name: self.env.open_db(name.encode(), create=not read_only) for name in TABLES}
            self._psize = self.env.stat()["psize"]
            self._covered = 0  # bytes of data.mdb known to exist (see _cover_last_page)
        except lmdb.Error as exc:
            raise StoreError(f"{path}: cannot open the log: {exc}") from None

    @contextmanager
    def begin(self, write: bool = False):
        if write and self.read_only:
            raise StoreError("the log is open read-only")
        txn = self.env.begin(write=write)
        try:
            yield _LmdbTxn(txn, self._dbs, self.keyring)
        except BaseException:
            txn.abort()
            raise
        else:
            if write:
                txn.commit()
                self._cover_last_page()
            else:
                txn.abort()

    def _cover_last_page(self) -> None:
        """Keep the file as long as the meta page says, so `check_file` can tell damage apart.

        LMDB counts a page allocated and freed again in the same transaction (a "loose" page: a
        row written and deleted in one commit, as the quota usage totals do) in `last_pgno`
        without ever writing it, so the file can end a page short of what the meta page claims
        although nothing is lost. Extending it with zeros (free pages) after each commit keeps a
        healthy log from being reported as truncated on the next open."""
        need = (self.env.info()["last_pgno"] + 1) * self._psize
        if need <= self._covered:  # the file never shrinks: no stat while it is known long enough
            return
        data = os.path.join(self.path, "data.mdb")
        try:
            size = os.path.getsize(data)
            if size < need:
                os.truncate(data, need)
            self._covered = max(size, need)
        except OSError:
            pass

    def close(self) -> None:
        self.env.close()
