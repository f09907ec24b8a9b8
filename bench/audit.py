"""Audit query benchmark: one object's or one user's entries on logs of 10k, 100k and 1M entries.

    python -m bench.audit [--sizes 10000,100000,1000000] [--rebuild]

Target: a query for one object's or one user's entries on a 1,000,000-entry log in <= 100 ms
(an index lookup, not a scan), so the figure must stay flat as the log grows.

How the logs are built: the full request path runs at ~2,500-3,600 requests/s on this 2-core
machine (bench/README.md, foundation), so 1M requests through it would cost 5-7 minutes of CPU on
a quiet machine and far more on a shared one. The logs here are written instead through the
append path itself (`eventlog.append`, in transactions of 10,000 entries, no sync until the
end): every entry is a real LogEntry with its request, outcome, hash chain, indexes and, for
writes, the object the reducer derives (`next_object`) and its digest, exactly as the request
path would record it; only authorization, admission and validation are skipped. `verify` is run
on the 10k and 100k logs to show they are sound logs.

Workload (fixed seed): 2,000 users `user-0000`.. and 20,000 ConfigMaps in 10 namespaces. Each
entry is a get (70 %), a merge patch of the ConfigMap's data (20 %), a get of a missing object
(refused 404, 5 %) or a create (5 %, until all exist), by a random user; the clock moves 1 s every
1,000 entries. So one object has ~1/20,000 and one user ~1/2,000 of the entries: the query
answers grow with the log's size, as a real audit trail's would. Measured per size, median of 20
different objects / users:

- object: `select` of every entry of one ConfigMap (idx_obj), plus building their audit Events
  under the default policy (Metadata reads, RequestResponse writes: responseObject via object_at)
- user: `select` of every entry of one user (idx_user), then the same with `--writes` and a
  time window (the last 10 % of the log), which the index bounds by seq
- scan: for contrast, a filter no index serves (`--verb patch` in the same window)

Results: a table on stdout and bench/out/audit.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time

from engine.codec import packed_object
from engine.log import eventlog
from engine.log.lmdb_store import LmdbStore
from engine.log.verify import verify
from engine.records import GENESIS_DIGEST, Admitted, Denied, LogEntry, Request
from projections import audit as A
from projections.audit_query import Query, select
from reducers.keys import index_key
from reducers.storage import next_object

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
START = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
SEED = 20261127
USERS = 2_000
OBJECTS = 20_000
NAMESPACES = 10
TXN = 10_000
BUILD_VERSION = 1


def user(i: int) -> str:
    return f"user-{i:04d}"


def obj(i: int) -> tuple[str, str]:
    return f"team-{i % NAMESPACES}", f"cm-{i:05d}"


def build(path: str, n: int) -> dict:
    """Write an n-entry log at `path` through the append path; returns build figures."""
    shutil.rmtree(path, ignore_errors=True)
    store = LmdbStore(path, durable=False)
    rng = random.Random(SEED)
    created = 0
    objects: dict[int, dict] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    seq = 0
    head = eventlog.Head(0, GENESIS_DIGEST, 0)
    while seq < n:
        with store.begin(write=True) as txn:
            for _ in range(min(TXN, n - seq)):
                seq += 1
                at = START + (seq // 1000) * 1_000_000
                who = user(rng.randrange(USERS))
                r = rng.random()
                if created < OBJECTS and (r < 0.05 or created == 0):
                    i = created
                    created += 1
                    ns, name = obj(i)
                    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                            "data": {"n": "0"}}
                    req = Request("create", "configmaps", namespace=ns, body=body, user=who, groups=("system:authenticated",),
                                  params={"fieldManager": "kubectl-create"})
                    probe = LogEntry(seq, at, req, Admitted(201, {"uid": f"00000000-0000-4000-8000-{i:012d}"}, "pending"), head.digest)
                    new = next_object(None, probe)
                    packed, digest = packed_object(new)
                    e = LogEntry(seq, at, req, Admitted(201, probe.outcome.decided, digest), head.digest)
                    head = eventlog.append(txn, e, index_key(e), None, new, head, packed)
                    objects[i] = new
                    continue
                i = rng.randrange(created)
                ns, name = obj(i)
                if r < 0.75:
                    req = Request("get", "configmaps", namespace=ns, name=name, user=who, groups=("system:authenticated",))
                    e = LogEntry(seq, at, req, Admitted(200), head.digest)
                    head = eventlog.append(txn, e, index_key(e), None, None, head)
                elif r < 0.80:
                    req = Request("get", "configmaps", namespace=ns, name=name + "-x", user=who, groups=("system:authenticated",))
                    e = LogEntry(seq, at, req, Denied("storage", 404, "NotFound", f'configmaps "{name}-x" not found'), head.digest)
                    head = eventlog.append(txn, e, index_key(e), None, None, head)
                else:
                    req = Request("patch", "configmaps", namespace=ns, name=name, body={"data": {"n": str(seq)}}, user=who,
                                  groups=("system:authenticated",), params={"patchType": "merge", "fieldManager": "kubectl-patch"})
                    prev = objects[i]
                    probe = LogEntry(seq, at, req, Admitted(200, {}, "pending"), head.digest)
                    new = next_object(prev, probe)
                    packed, digest = packed_object(new)
                    e = LogEntry(seq, at, req, Admitted(200, {}, digest), head.digest)
                    head = eventlog.append(txn, e, index_key(e), prev, new, head, packed)
                    objects[i] = new
    store.env.sync(True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    with open(os.path.join(path, "built.json"), "w") as f:
        json.dump({"version": BUILD_VERSION, "entries": n}, f)
    return {"entries": n, "build_s": round(wall, 1), "build_cpu_s": round(cpu, 1), "entries_per_s": round(n / wall),
            "bytes": os.path.getsize(os.path.join(path, "data.mdb"))}


def _cached(path: str, n: int) -> bool:
    try:
        with open(os.path.join(path, "built.json")) as f:
            return json.load(f) == {"version": BUILD_VERSION, "entries": n}
    except (OSError, ValueError):
        return False


def _median_ms(fn, args_list) -> tuple[float, float, list]:
    times, sizes = [], []
    for a in args_list:
        t = time.perf_counter()
        out = fn(a)
        times.append((time.perf_counter() - t) * 1000)
        sizes.append(out)
    return statistics.median(times), max(times), sizes


def measure(path: str, n: int) -> dict:
    store = LmdbStore(path, read_only=True)
    rng = random.Random(7)
    out: dict = {"entries": n}
    with store.begin() as txn:
        created = min(OBJECTS, len(list(txn.scan("objects"))))
        objs = [obj(rng.randrange(created)) for _ in range(20)]
        users = [user(rng.randrange(USERS)) for _ in range(20)]
        head = eventlog.read_head(txn)
        since = eventlog.read_entry(txn, max(1, head.seq - head.seq // 10)).at

        def q_obj(o):
            return len(select(txn, Query(resource="configmaps", namespace=o[0], name=o[1])))

        def q_obj_events(o):
            es = select(txn, Query(resource="configmaps", namespace=o[0], name=o[1]))
            from log_tools.commands.audit import event_for

            return len([event_for(txn, e, A.DEFAULT_POLICY, A.SENSITIVE) for e in es])

        def q_user(u):
            return len(select(txn, Query(user=u)))

        def q_user_window(u):
            return len(select(txn, Query(user=u, writes=True, since=since)))

        def q_scan(_):
            return len(select(txn, Query(verb="patch", since=since)))

        for label, fn, args in (("object", q_obj, objs), ("object_events", q_obj_events, objs), ("user", q_user, users),
                                ("user_writes_window", q_user_window, users), ("scan_window_verb", q_scan, [None] * 3)):
            med, worst, sizes = _median_ms(fn, args)
            out[label] = {"median_ms": round(med, 2), "max_ms": round(worst, 2), "median_answers": statistics.median(sizes)}
        if n <= 100_000:
            t = time.perf_counter()
            rep = verify(txn)
            out["verify"] = {"ok": rep.ok, "s": round(time.perf_counter() - t, 1), "problems": [str(p) for p in rep.problems[:3]]}
    store.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(OUT, exist_ok=True)
    results = {"machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}, "sizes": []}
    for n in (int(s) for s in args.sizes.split(",")):
        path = os.path.join(OUT, f"audit-log-{n}")
        built = None
        if args.rebuild or not _cached(path, n):
            built = build(path, n)
            print(f"built {n:,} entries in {built['build_s']} s ({built['entries_per_s']:,}/s, cpu {built['build_cpu_s']} s, "
                  f"{built['bytes'] / n:.0f} B/entry)", file=sys.stderr)
        m = measure(path, n)
        m["build"] = built
        results["sizes"].append(m)
    results["machine"]["load_end"] = os.getloadavg()
    with open(os.path.join(OUT, "audit.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"{'entries':>10} {'object ms':>10} {'+events ms':>11} {'user ms':>8} {'user+window':>12} {'scan ms':>8}  answers (obj/user)")
    for m in results["sizes"]:
        print(f"{m['entries']:>10,} {m['object']['median_ms']:>10} {m['object_events']['median_ms']:>11} {m['user']['median_ms']:>8} "
              f"{m['user_writes_window']['median_ms']:>12} {m['scan_window_verb']['median_ms']:>8}  "
              f"{m['object']['median_answers']}/{m['user']['median_answers']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
