"""A writer process for the several-writers and failover tests (and bench/etcd.py).

`python -m tests.engine.etcd_writer URL NAME COUNT` submits COUNT ConfigMap creates named
NAME-<i> through the full request path (`Cluster.submit`) on the etcd log at URL, printing one
JSON line per acknowledged write as it happens (so a killed writer's acknowledgements are known),
then, after catching up with the other writers, a summary: errors, final head, state digest
(sha256 of the materialized objects table).

--controllers   run the actors in this process unconditionally
--campaign      run them only while holding the controllers' lease (etcd leader election)
--deployment N  after the writes, create Deployment N (its ReplicaSet proves controllers run)
--wait          print `done`, wait for a line on stdin, then report (writers compare states)
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


def actors():
    from engine.controllers.deployment import DeploymentController
    from engine.controllers.replicaset import ReplicaSetController
    from tests.engine.conftest import foundation_actors

    return foundation_actors() + [DeploymentController(), ReplicaSetController()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("name")
    ap.add_argument("count", type=int)
    ap.add_argument("--controllers", action="store_true")
    ap.add_argument("--campaign", action="store_true")
    ap.add_argument("--deployment")
    ap.add_argument("--wait", action="store_true", help="print `done`, wait for a line on stdin, then report")
    ap.add_argument("--start-at", type=float, default=0.0, help="time.time() to start at (line the writers up)")
    args = ap.parse_args(argv)
    from engine.api import Cluster
    from engine.client import Client
    from engine.log.etcd_store import EtcdStore

    cluster = Cluster(EtcdStore(args.url, retry_for=30.0), actors=actors() if args.controllers else [])
    leadership = None
    if args.campaign:
        from engine.log.etcd_lease import ControllerLeadership, LeaderElector

        elector = LeaderElector(args.url, identity=args.name, ttl=2, renew_deadline=1.5, retry_period=0.3)
        leadership = ControllerLeadership(cluster, elector, actors=actors).start()
    client = Client(cluster)
    errors = []
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
            print(json.dumps({"ack": [name, resp.entry.seq, round(time.perf_counter() - s, 4), round(s - t0, 4)]}), flush=True)
        else:
            errors.append(f"{name}: {resp.error.code} {resp.error.message}")
    elapsed = time.perf_counter() - t0
    if args.deployment:
        labels = {"app": args.deployment}
        resp = client.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": args.deployment, "labels": labels},
                              "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                                       "template": {"metadata": {"labels": labels},
                                                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
        if resp.error is not None:
            errors.append(f"deployment: {resp.error.message}")
    if args.wait:  # the final state is compared once every writer is done and none leads any more
        print("done", flush=True)
        sys.stdin.readline()
    if leadership is not None:
        leadership.stop()
    if args.wait:
        print("stopped", flush=True)
        sys.stdin.readline()
    cluster.store.sync()
    head = cluster.head()
    print(json.dumps({"name": args.name, "errors": errors, "elapsed": elapsed, "head": head.seq,
                      "digest": head.digest, "state": state_digest(cluster.store),
                      "terms": leadership.terms if leadership else None}), flush=True)
    cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
