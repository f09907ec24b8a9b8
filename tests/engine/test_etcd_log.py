"""The log on etcd: same bytes as LMDB, several writers, size limit, faults and foreign prefixes."""

from __future__ import annotations

import base64
import io

import attrs
import pytest

from engine.api import Cluster
from engine.client import Client, must
from engine.codec import decode_entry, encode_entry
from engine.errors import StatusError
from engine.log import eventlog
from engine.log.etcd_store import EtcdStore, parse_url
from engine.log.kv import StoreError
from engine.log.lmdb_store import LmdbStore
from engine.log.transfer import dump, import_lines
from engine.log.verify import verify
from tests.engine.conftest import booted, configmap, deployment, foundation_actors


def _history(cluster: Cluster) -> None:
    c = Client(cluster)
    must(c.create(deployment()))
    must(c.create(configmap("a", {"k": "1"})))
    must(c.patch("cm", "a", {"data": {"k": "2"}}))
    c.get("cm", "missing")
    must(c.delete("cm", "a"))
    cluster.advance(5_000_000)


def _export(store) -> str:
    out = io.StringIO()
    with store.begin() as t:
        dump(t, out)
    return out.getvalue()


def _raw(etcd_url: str):
    from etcd3gw.client import Etcd3Client

    (host, port), prefix = parse_url(etcd_url)[0][0], parse_url(etcd_url)[1]
    return Etcd3Client(host, port, api_path="/v3/"), prefix


def test_parse_url():
    assert parse_url("etcd://a:1,b:2/x/y") == ([("a", 1), ("b", 2)], "/x/y")
    assert parse_url("etcd://a") == ([("a", 2379)], "/ktape")
    with pytest.raises(StoreError):
        parse_url("http://a:1")


def test_same_history_same_bytes_and_round_trips(etcd_url, etcd_cluster, tmp_path):
    lm = booted(Cluster.open(str(tmp_path / "l"), actors=foundation_actors()))
    et = booted(Cluster(EtcdStore(etcd_url), actors=foundation_actors()))
    _history(lm)
    _history(et)
    lmdb_text = _export(lm.store)
    assert _export(et.store) == lmdb_text and lmdb_text.count("\n") >= 20
    # keys in etcd are the fixed-width hex seqs, the values the very bytes LMDB keeps
    raw, prefix = _raw(etcd_url)
    kvs = raw.get(f"{prefix}/log/{1:016x}", metadata=True)
    with lm.store.begin() as t:
        assert kvs[0][0] == bytes(t.get("log", eventlog.u64(1)))
    # LMDB -> etcd -> LMDB, byte-identical
    url2 = etcd_url + "-rt"
    dst = EtcdStore(url2)
    import_lines(dst, io.StringIO(lmdb_text))
    back = LmdbStore(str(tmp_path / "back"))
    import_lines(back, io.StringIO(_export(EtcdStore(url2))))
    assert _export(back) == lmdb_text
    with dst.begin() as t:
        assert verify(t).ok
    for x in (lm, et, dst, back):
        x.close()


def test_a_write_that_lost_its_seq_is_decided_again(etcd_url):
    a = booted(Cluster(EtcdStore(etcd_url), actors=foundation_actors()))
    b = Cluster(EtcdStore(etcd_url), actors=foundation_actors())
    ca, cb = Client(a), Client(b)
    must(ca.create(configmap("x")))           # b's cache is now one entry behind
    resp = cb.create(configmap("x"))          # b decides on stale state, loses the seq, decides again
    assert resp.error is not None and resp.error.code == 409 and "already exists" in resp.error.message
    must(cb.create(configmap("y")))
    must(ca.patch("cm", "y", {"data": {"v": "a"}}))  # a is behind now: same dance the other way
    a.store.sync(), b.store.sync()
    assert a.head().seq == b.head().seq and a.head().digest == b.head().digest
    ex = _export(a.store)
    assert ex == _export(b.store)
    names = [ln for ln in ex.splitlines() if '"verb":"create"' in ln and '"name":"x"' in ln]
    assert len(names) == 2  # the refused second create is recorded once, as a denial
    with a.store.begin() as t:
        assert verify(t).ok
    a.close(), b.close()


def test_writers_yield_while_a_leader_holds_the_catching_up_key(etcd_url):
    """A server's appends wait (conflict after a short pause, then decide again) while the
    controllers' leader holds `<prefix>/catching-up`; the holder appends through; when the key
    goes, the waiting write lands once."""
    import threading

    from engine.log.etcd_store import _b64

    leader = booted(Cluster(EtcdStore(etcd_url), actors=foundation_actors()))
    other = Cluster(EtcdStore(etcd_url), actors=foundation_actors())
    other.store.yield_to_catch_up = leader.store.yield_to_catch_up = True
    leader.store.conn.call("kv/put", {"key": _b64(leader.store.catch_up_key), "value": _b64(b"leader")})
    leader.store.exclusive = True
    must(Client(leader).create(configmap("by-leader")))  # the holder is not held up
    got: list = []
    t = threading.Thread(target=lambda: got.append(Client(other).create(configmap("by-other"))))
    t.start()
    t.join(0.5)
    assert t.is_alive() and not got  # still waiting for the key to go
    seq_while_held = leader.head().seq
    leader.store.exclusive = False
    leader.store.conn.call("kv/deleterange", {"key": _b64(leader.store.catch_up_key)})
    t.join(20)
    assert got and got[0].error is None and got[0].entry.seq > seq_while_held
    leader.store.sync()
    names = [ln for ln in _export(leader.store).splitlines() if '"verb":"create"' in ln and '"name":"by-other"' in ln]
    assert len(names) == 1
    leader.close(), other.close()


def test_too_large_entry_is_refused_with_413_and_nothing_written(etcd_url):
    store = EtcdStore(etcd_url)
    c = booted(Cluster(store, actors=foundation_actors()))
    before = c.head()
    with pytest.raises(StatusError) as ei:
        Client(c).create(configmap("big", {"blob": "x" * 1_700_000}))
    assert ei.value.code == 413 and ei.value.reason == "RequestEntityTooLarge"
    assert ei.value.message.startswith("Request entity too large: ")
    assert c.head().seq == before.seq
    fresh = EtcdStore(etcd_url)
    with fresh.begin() as t:
        assert eventlog.read_head(t).digest == before.digest
    must(Client(c).create(configmap("small", {"blob": "x" * 100_000})))
    c.close(), fresh.close()


def test_unreachable_etcd_is_one_clear_line():
    with pytest.raises(StoreError) as ei:
        EtcdStore("etcd://127.0.0.1:1,127.0.0.1:2/x", retry_for=0.3, timeout=0.5)
    msg = str(ei.value)
    assert "\n" not in msg and msg.startswith("etcd is unreachable at 127.0.0.1:1,127.0.0.1:2")


def test_unreachable_mid_write_leaves_no_partial_entry(etcd_url, monkeypatch):
    store = EtcdStore(etcd_url, retry_for=0.3, timeout=0.5)
    c = booted(Cluster(store, actors=foundation_actors()))
    head = c.head()
    good = store.conn.clients
    from etcd3gw.client import Etcd3Client

    monkeypatch.setattr(store.conn, "clients", [Etcd3Client("127.0.0.1", 1, api_path="/v3/", timeout=0.5)])
    with pytest.raises(StoreError, match="unreachable"):
        Client(c).create(configmap("lost"))
    assert c.head().seq == head.seq  # the cache committed nothing
    monkeypatch.setattr(store.conn, "clients", good)
    fresh = EtcdStore(etcd_url)
    with fresh.begin() as t:
        assert eventlog.read_head(t).seq == head.seq
    must(Client(c).create(configmap("next")))
    c.close(), fresh.close()


def _copy_entries(src_url: str, dst_url: str, seqs, tamper=None):
    raw, sp = _raw(src_url)
    _, dp = _raw(dst_url)
    for s in seqs:
        value = raw.get(f"{sp}/log/{s:016x}")[0]
        if tamper and s in tamper:
            value = tamper[s](value)
        raw.put(f"{dp}/log/{s:016x}", value)
    return raw, dp


@pytest.mark.parametrize("case", ["gap", "chain", "format", "key"])
def test_a_prefix_written_by_something_else_is_refused_with_the_first_bad_seq(etcd_url, etcd_cluster, case):
    src = booted(Cluster(EtcdStore(etcd_url), actors=foundation_actors()))
    src.close()
    dst_url = etcd_url + "-" + case
    if case == "gap":
        _copy_entries(etcd_url, dst_url, [1, 2, 3, 5])
        want = "seq 4: missing entry"
    elif case == "chain":
        def rechain(v):
            return encode_entry(attrs.evolve(decode_entry(v), prev_digest="f" * 64))

        _copy_entries(etcd_url, dst_url, [1, 2, 3, 4], tamper={3: rechain})
        want = "seq 3: hash chain broken"
    elif case == "format":
        _copy_entries(etcd_url, dst_url, [1, 2], tamper={2: lambda v: b"not msgpack \xc1"})
        want = "seq 2"
    else:
        raw, dp = _copy_entries(etcd_url, dst_url, [1])
        raw.put(f"{dp}/log/zz", b"x")
        want = "first bad seq 2"
    with pytest.raises(StoreError) as ei:
        EtcdStore(dst_url)
    assert want in str(ei.value), str(ei.value)


def test_a_lost_reply_is_resolved_by_resending_the_same_transaction(etcd_url):
    """The first attempt lands but its reply is lost (timeout): the resent identical transaction
    fails its compare, the writer key shows the first one landed, the write is acknowledged once."""
    from etcd3gw import exceptions as ex

    store = EtcdStore(etcd_url)
    c = booted(Cluster(store, actors=foundation_actors()))
    client = store.conn.clients[store.conn.current]
    real = client.post
    lost = []

    def post(url, *a, **kw):
        r = real(url, *a, **kw)
        if url.endswith("kv/txn") and not lost:
            lost.append(r)
            raise ex.ConnectionTimeoutError("read timed out")
        return r

    client.post = post
    resp = must(Client(c).create(configmap("once")))
    assert lost and lost[0].get("succeeded")
    fresh = EtcdStore(etcd_url)
    text = _export(fresh)
    assert text.count('"name":"once"') == 1 and resp["metadata"]["name"] == "once"
    with fresh.begin() as t:
        assert verify(t).ok and eventlog.read_head(t).seq == c.head().seq
    c.close(), fresh.close()


def test_a_cache_of_another_log_is_rebuilt(etcd_url, tmp_path):
    cache = str(tmp_path / "cache")
    s = EtcdStore(etcd_url, cache_dir=cache)
    first = booted(Cluster(s, actors=foundation_actors()))
    Client(first).create(configmap("mine"))  # the cache's head entry differs from the new log's
    first.close()
    raw, prefix = _raw(etcd_url)
    raw.delete_prefix(prefix + "/")  # the prefix is wiped and another history written there
    other = booted(Cluster(EtcdStore(etcd_url), actors=foundation_actors()))
    Client(other).create(configmap("other"))
    want = _export(other.store)
    other.close()
    again = EtcdStore(etcd_url, cache_dir=cache)
    assert _export(again) == want and '"name":"mine"' not in want
    with again.begin() as t:
        assert verify(t).ok
    again.close()
