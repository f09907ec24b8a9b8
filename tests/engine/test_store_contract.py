"""One contract, every store: the LMDB, in-memory and etcd stores must behave the same."""

import pytest

from engine.log.eventlog import u64
from engine.log.kv import prefix_end
from engine.log.lmdb_store import LmdbStore
from engine.log.memory_store import MemoryStore


@pytest.fixture(params=["lmdb", "memory", "etcd"])
def store(request, tmp_path):
    if request.param == "etcd":
        from engine.log.etcd_store import EtcdStore

        s = EtcdStore(request.getfixturevalue("etcd_url"))
    else:
        s = LmdbStore(str(tmp_path / "log")) if request.param == "lmdb" else MemoryStore()
    yield s
    s.close()


class TestStoreContract:
    def test_put_get_delete(self, store):
        with store.begin(write=True) as t:
            t.put("objects", b"a", b"1")
            t.put("objects", b"b", b"2")
            assert t.get("objects", b"a") == b"1"
            assert t.delete("objects", b"b") is True
            assert t.delete("objects", b"zz") is False
        with store.begin() as t:
            assert t.get("objects", b"a") == b"1"
            assert t.get("objects", b"b") is None

    def test_scan_is_ordered_and_bounded(self, store):
        with store.begin(write=True) as t:
            for k in (b"b1", b"a2", b"a1", b"c", b"a3"):
                t.put("objects", k, k.upper())
        with store.begin() as t:
            assert [k for k, _ in t.scan("objects")] == [b"a1", b"a2", b"a3", b"b1", b"c"]
            assert [bytes(k) for k, _ in t.scan("objects", b"a", prefix_end(b"a"))] == [b"a1", b"a2", b"a3"]
            assert [bytes(k) for k, _ in t.scan("objects", b"a", prefix_end(b"a"), reverse=True)] == [b"a3", b"a2", b"a1"]
            assert [bytes(k) for k, _ in t.scan("objects", b"a2", b"b1", reverse=True)] == [b"a3", b"a2"]
            assert [bytes(k) for k, _ in t.scan("objects", reverse=True)][0] == b"c"
            assert list(t.scan("objects", b"x")) == []

    def test_failed_transaction_leaves_nothing(self, store):
        with store.begin(write=True) as t:
            t.put("objects", b"keep", b"1")
        with pytest.raises(RuntimeError):
            with store.begin(write=True) as t:
                t.put("objects", b"keep", b"changed")
                t.put("objects", b"new", b"2")
                t.delete("objects", b"keep")
                raise RuntimeError("boom")
        with store.begin() as t:
            assert t.get("objects", b"keep") == b"1"
            assert t.get("objects", b"new") is None
            assert [bytes(k) for k, _ in t.scan("objects")] == [b"keep"]

    def test_tables_are_separate(self, store):
        with store.begin(write=True) as t:
            t.put("log", u64(1), b"log")  # the log table's keys are seqs (etcd keys them by seq)
            t.put("meta", u64(1), b"meta")
        with store.begin() as t:
            assert t.get("log", u64(1)) == b"log" and t.get("meta", u64(1)) == b"meta"


def test_prefix_end():
    assert prefix_end(b"ab") == b"ac"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") is None
