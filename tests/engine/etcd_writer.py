"""A writer process for the several-writers and failover tests (and bench/etcd.py).

`python -m tests.engine.etcd_writer URL NAME COUNT [--controllers]` submits COUNT ConfigMap
creates named NAME-<i> through the full request path (`Cluster.submit`) on the etcd log at URL,
then prints one JSON line: every acknowledged write (name, seq, latency), the final head and the
state digest (sha256 of the materialized objects table), after catching up with the other
writers. Without --controllers the process runs no actors (another process is the leader).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time


def state_digest(store) -> str:
    h = hashlib.sha256()
    with store.begin() as t:
        for k, v in t.scan("objects"):
            h.update(len(k).to_bytes(4, "big") + bytes(k) + len(v).to_bytes(4, "big") + bytes(v))
    return h.hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("name")
    ap.add_argument("count", type=int)
    ap.add_argument("--controllers", action="store_true")
    ap.add_argument("--wait", action="store_true", help="print `done`, wait for a line on stdin, then report")
    ap.add_argument("--start-at", type=float, default=0.0, help="time.time() to start at (line the writers up)")
    args = ap.parse_args(argv)
    from engine.api import Cluster
    from engine.client import Client
    from engine.log.etcd_store import EtcdStore
    from tests.engine.conftest import foundation_actors

    cluster = Cluster(EtcdStore(args.url, retry_for=30.0), actors=foundation_actors() if args.controllers else [])
    client = Client(cluster)
    acked, errors = [], []
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    t0 = time.perf_counter()
    for i in range(args.count):
        name = f"{args.name}-{i}"
        s = time.perf_counter()
        try:
            resp = client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": str(i)}})
        except Exception as exc:  # noqa: BLE001  (reported, not acknowledged)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if resp.error is None:
            acked.append([name, resp.entry.seq, round(time.perf_counter() - s, 4), round(s - t0, 4)])
        else:
            errors.append(f"{name}: {resp.error.code} {resp.error.message}")
    elapsed = time.perf_counter() - t0
    if args.wait:  # the final state is compared once every writer is done
        print("done", flush=True)
        sys.stdin.readline()
    cluster.store.sync()
    head = cluster.head()
    print(json.dumps({"name": args.name, "acked": acked, "errors": errors, "elapsed": elapsed, "head": head.seq,
                      "digest": head.digest, "state": state_digest(cluster.store)}))
    cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
