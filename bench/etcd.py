"""Benchmark of the log on etcd (issue 9), on a throwaway 3-member etcd cluster on loopback.

Cases, all in one run so the figures share the machine's state:
- etcd put   etcd's own sequential-put rate: one `put` of a 400-byte value at a time through the
             same client (etcd3gw, v3 JSON gateway) and endpoint the store uses: the ceiling.
- durable    ConfigMap merge patches one by one through `Cluster.submit` on the etcd log (one
             etcd transaction each), and gets (recorded too); target >= 80 % of `etcd put`.
             The two are interleaved, 3 rounds, medians reported.
- batched    `submit_batch` of 1,000 requests (creates, then patches), settled, on etcd and on
             a durable LMDB log; target >= 10,000 requests/s on etcd.
- replay     a new process's full replay of the log from etcd into an empty cache (range reads,
             decode, canonical-bytes check, fold, indexes), next to the same fold reading the
             same entries from a local LMDB log; and the bare etcd range-read rate.
- failover   two writer processes appending ConfigMap creates concurrently; the etcd Raft
             leader is killed mid-load and restarted a second later: writes acknowledged, lost
             (acknowledged but not in the log exactly once), errors, and the longest request
             (time to recover).

    python -m bench.etcd            # full run (~1-2 min)
    python -m bench.etcd --quick    # smoke run

Writes bench/out/etcd.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import time

from bench.foundation import OUT, START, create_cm, get_cm, machine, patch_cm_data, pressure
from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.codec import decode_entry
from engine.log import eventlog
from engine.log.etcd_local import LocalEtcd
from engine.log.etcd_store import EtcdStore, _b64
from engine.log.lmdb_store import LmdbStore
from engine.log.memory_store import MemoryStore
from engine.log.transfer import apply_entry, dump, import_lines

_prefix_n = [0]


def _url(cluster: LocalEtcd, name: str) -> str:
    _prefix_n[0] += 1
    return cluster.url(f"/bench-{name}-{_prefix_n[0]}")


def _booted(store) -> Cluster:
    c = Cluster(store)
    init(c, InitOptions(start_time=START))
    return c


def case_etcd_put(store: EtcdStore, n: int) -> dict:
    client = store.conn.clients[store.conn.current]
    val = b"x" * 400
    t = time.perf_counter()
    for i in range(n):
        client.put(f"/bench-put/{i:016x}", val)
    dt = time.perf_counter() - t
    return {"n": n, "puts_per_s": n / dt, "ms_per_put": dt / n * 1e3}


def case_etcd_batched_puts(store: EtcdStore, txns: int) -> dict:
    """etcd's own rate for the largest transaction its default --max-txn-ops allows (127 puts of
    500 bytes, no compares): the ceiling for batched appends on this machine."""
    client = store.conn.clients[store.conn.current]
    val = _b64(b"x" * 500)
    t = time.perf_counter()
    for j in range(txns):
        client.transaction({"compare": [], "failure": [], "success": [
            {"request_put": {"key": _b64(b"/bench-batch/%08d/%04d" % (j, k)), "value": val}} for k in range(127)]})
    dt = time.perf_counter() - t
    return {"txns": txns, "entries_per_s": txns * 127 / dt, "ms_per_txn": dt / txns * 1e3}


def case_durable(cluster: LocalEtcd, n: int) -> dict:
    c = _booted(EtcdStore(_url(cluster, "durable")))
    c.submit(create_cm(0))
    seq0 = c.head().seq
    t = time.perf_counter()
    for v in range(1, n + 1):
        r = c.submit(patch_cm_data(0, v))
        assert r.error is None, r.error
    dt_w = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(n):
        r = c.submit(get_cm(0))
        assert r.error is None, r.error
    dt_r = time.perf_counter() - t
    assert c.head().seq - seq0 == 2 * n
    put = case_etcd_put(c.store, n)
    c.close()
    return {"n": n, "writes_per_s": n / dt_w, "ms_per_write": dt_w / n * 1e3, "gets_per_s": n / dt_r,
            "etcd_puts_per_s": put["puts_per_s"], "ratio": (n / dt_w) / put["puts_per_s"]}


def case_batched(store, batches: int) -> dict:
    c = _booted(store)
    per = 1_000
    creates = [[create_cm(b * per + i) for i in range(per)] for b in range(batches)]
    patches = [[patch_cm_data(b * per + i, 1) for i in range(per)] for b in range(batches)]
    t = time.perf_counter()
    for batch in creates + patches:
        for r in c.submit_batch(batch):
            assert r.error is None, r.error
    dt = time.perf_counter() - t
    total = 2 * batches * per
    head = c.head().seq
    c.close()
    return {"requests": total, "requests_per_s": total / dt, "entries": head}


def case_replay(cluster: LocalEtcd, entries: int) -> dict:
    url = _url(cluster, "replay")
    c = _booted(EtcdStore(url))
    per = 1_000
    i = 0
    while c.head().seq < entries:
        c.submit_batch([create_cm(i + k) if (i + k) % 2 == 0 else patch_cm_data(i + k - 1, 1) for k in range(per)], settle=False)
        i += per
    text = io.StringIO()
    with c.store.begin() as t:
        dump(t, text)
    n = c.head().seq
    c.close()
    # bare range reads
    store = EtcdStore(url, cache=MemoryStore())
    t0 = time.perf_counter()
    got, start = 0, 1
    while True:
        r = store.conn.call("kv/range", {"key": _b64(store.key(start)), "range_end": _b64(store._log_end), "limit": 500})
        kvs = r.get("kvs") or []
        got += len(kvs)
        if not r.get("more"):
            break
        start += len(kvs)
    dt_read = time.perf_counter() - t0
    store.close()
    # full replay from etcd into an empty cache (what a new process does on open)
    t0 = time.perf_counter()
    store = EtcdStore(url)
    dt_etcd = time.perf_counter() - t0
    with store.begin() as t:
        assert eventlog.read_head(t).seq == n
    store.close()
    # the same fold from a local LMDB log
    path = os.path.join(OUT, "tmp-etcd-replay")
    shutil.rmtree(path, ignore_errors=True)
    lm = LmdbStore(path)
    import_lines(lm, io.StringIO(text.getvalue()))
    mem = MemoryStore()
    t0 = time.perf_counter()
    with lm.begin() as src, mem.begin(write=True) as dst:
        head = eventlog.read_head(dst)
        for _seq, raw in eventlog.scan_raw(src):
            head = apply_entry(dst, head, decode_entry(raw))
    dt_lmdb = time.perf_counter() - t0
    # the store's own batched appends: the same entries, already decided, 1,000 per store
    # transaction (126 entries per etcd transaction under etcd's default --max-txn-ops), no engine work
    with lm.begin() as src:
        raws = list(eventlog.scan_raw(src))
    lm.close()
    shutil.rmtree(path, ignore_errors=True)
    dst = EtcdStore(_url(cluster, "appends"))
    t0 = time.perf_counter()
    for i in range(0, len(raws), 1_000):
        dst._commit(raws[i:i + 1_000])
    dt_app = time.perf_counter() - t0
    dst.close()
    return {"entries": n, "store_appends_per_s": len(raws) / dt_app, "etcd_range_read_per_s": got / dt_read,
            "etcd_replay_per_s": n / dt_etcd,
            "lmdb_replay_per_s": n / dt_lmdb, "etcd_replay_s": dt_etcd, "lmdb_replay_s": dt_lmdb}


def case_failover(cluster: LocalEtcd, per_writer: int) -> dict:
    from tests.engine.test_etcd_writers import _check, _collect, _start_writers

    url = _url(cluster, "failover")
    procs = _start_writers(url, per_writer)
    time.sleep(1.5 + 1.0)
    leader = cluster.leader_index()
    cluster.kill(leader)
    time.sleep(1.0)
    cluster.restart(leader)
    results = _collect(procs)
    cluster.wait_ready(30)
    figures = _check(url, results)
    lats = [lat for r in results for _n, _s, lat, _t in r["acked"]]
    return {"writers": len(results), "acknowledged": figures["acked"], "lost": figures["acked"] - figures["in_log"],
            "errors": sum(len(r["errors"]) for r in results), "longest_request_s": max(lats),
            "median_request_ms": statistics.median(lats) * 1e3, "entries": figures["entries"], "killed": f"m{leader}"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.etcd")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(OUT, exist_ok=True)
    n = 150 if args.quick else 400
    res: dict = {"machine": machine(), "load_start": os.getloadavg(), "psi_start": pressure()}
    with LocalEtcd(3) as cluster:
        res["etcd_version"] = "3.4 (Debian etcd-server)"
        print("durable (3 rounds, interleaved with etcd's own puts) ...", flush=True)
        rounds = [case_durable(cluster, n) for _ in range(3)]
        res["durable"] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        res["durable"]["rounds"] = rounds
        print("batched ...", flush=True)
        b = 2 if args.quick else 5
        st = EtcdStore(_url(cluster, "batched"))
        res["etcd_batched_puts"] = case_etcd_batched_puts(st, 10 if args.quick else 30)
        res["batched_etcd"] = case_batched(st, b)
        path = os.path.join(OUT, "tmp-etcd-batched-lmdb")
        shutil.rmtree(path, ignore_errors=True)
        res["batched_lmdb"] = case_batched(LmdbStore(path), b)
        shutil.rmtree(path, ignore_errors=True)
        print("replay ...", flush=True)
        res["replay"] = case_replay(cluster, 5_000 if args.quick else 20_000)
        print("failover ...", flush=True)
        res["failover"] = case_failover(cluster, 100 if args.quick else 200)
    res["load_end"], res["psi_end"] = os.getloadavg(), pressure()
    with open(os.path.join(OUT, "etcd.json"), "w") as f:
        json.dump(res, f, indent=2)
    d, be, bl, rp, fo = res["durable"], res["batched_etcd"], res["batched_lmdb"], res["replay"], res["failover"]
    print(f"""
| case | figure | target |
|---|---|---|
| etcd's own sequential puts (etcd3gw, same endpoint) | {d['etcd_puts_per_s']:,.0f} puts/s | |
| durable ConfigMap patches through `Cluster.submit` on etcd | {d['writes_per_s']:,.0f} req/s ({d['ratio']:.0%} of etcd's puts) | >= 80 % |
| durable gets (recorded) on etcd | {d['gets_per_s']:,.0f} req/s | |
| batched (`submit_batch`, 1,000/batch) on etcd | {be['requests_per_s']:,.0f} req/s ({be['requests']} requests) | >= 10,000 |
| batched, same requests, durable LMDB | {bl['requests_per_s']:,.0f} req/s | |
| the etcd store's batched appends alone (decided entries, 1,000 per commit) | {rp['store_appends_per_s']:,.0f} entries/s | |
| etcd's own batched puts (127 puts per transaction, the --max-txn-ops default) | {res['etcd_batched_puts']['entries_per_s']:,.0f} entries/s ({res['etcd_batched_puts']['ms_per_txn']:.0f} ms per transaction) | |
| full replay from etcd into an empty cache | {rp['etcd_replay_per_s']:,.0f} entries/s ({rp['entries']} entries, {rp['etcd_replay_s']:.1f} s) | |
| the same fold reading a local LMDB log | {rp['lmdb_replay_per_s']:,.0f} entries/s ({rp['lmdb_replay_s']:.1f} s) | |
| bare etcd range reads (500/page) | {rp['etcd_range_read_per_s']:,.0f} entries/s | |
| failover: leader {fo['killed']} killed mid-load, restarted after 1 s | {fo['acknowledged']} acknowledged, lost {fo['lost']}, errors {fo['errors']}, longest request {fo['longest_request_s']:.2f} s (median {fo['median_request_ms']:.1f} ms) | lost = 0 |

load average {res['load_start'][0]:.2f} at start, {res['load_end'][0]:.2f} at end; nproc {res['machine']['nproc']}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
