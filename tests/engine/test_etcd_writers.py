"""Several writers on one etcd log, and the loss of the etcd leader mid-load.

Two processes append concurrently through the full request path; afterwards every acknowledged
write is in the log exactly once, the log verifies, and both processes hold the same state. The
failover run kills the Raft leader of the 3-member cluster mid-load and restarts it: writes
resume on the other members, nothing acknowledged is lost. Its figures are printed (see
bench/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from engine.log.etcd_store import EtcdStore
from engine.log.verify import verify

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start_writers(url: str, count: int, names=("a", "b")) -> list[subprocess.Popen]:
    from engine.api import Cluster
    from tests.engine.conftest import booted

    booted(Cluster(EtcdStore(url), actors=[])).close()
    env = {**os.environ, "PYTHONPATH": ROOT}
    start_at = time.time() + 1.5  # both line up after their imports
    procs = []
    for i, n in enumerate(names):
        cmd = [sys.executable, "-m", "tests.engine.etcd_writer", url, n, str(count), "--wait", "--start-at", str(start_at)]
        if i == 0:
            cmd.append("--controllers")  # one process runs the actors (what the leader lease decides)
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env=env, cwd=ROOT))
    return procs


def _collect(procs) -> list[dict]:
    for p in procs:  # every writer is done writing before any reports its final state
        line = p.stdout.readline()
        assert line.strip() == "done", (line, p.stderr.read()[-2000:] if p.poll() is not None else "")
    out = []
    for p in procs:
        stdout, stderr = p.communicate("report\n", timeout=120)
        assert p.returncode == 0, stderr[-2000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _check(url: str, results: list[dict]) -> dict:
    store = EtcdStore(url)  # a fresh reader: its open checks every entry (chain, digests, bytes)
    try:
        with store.begin() as t:
            report = verify(t)
            assert report.ok, report.problems
            seen: dict[str, list[int]] = {}
            from engine.log import eventlog

            for e in eventlog.scan_entries(t):
                r = e.request
                if r.verb == "create" and r.resource == "configmaps" and e.changed:
                    seen.setdefault(r.body["metadata"]["name"], []).append(e.seq)
            head = eventlog.read_head(t)
        acked = [a for r in results for a in r["acked"]]
        for name, seq, *_ in acked:
            assert seen.get(name) == [seq], (name, seq, seen.get(name))
        assert len({r["digest"] for r in results} | {head.digest}) == 1
        assert len({r["state"] for r in results}) == 1
        from tests.engine.etcd_writer import state_digest

        assert state_digest(store) == results[0]["state"]
        return {"acked": len(acked), "in_log": sum(len(v) for v in seen.values()), "entries": head.seq}
    finally:
        store.close()


def test_two_writers_one_log(etcd_url):
    results = _collect(_start_writers(etcd_url, 60))
    figures = _check(etcd_url, results)
    assert [r["errors"] for r in results] == [[], []]
    assert figures["acked"] == 120


def test_leader_killed_mid_load_nothing_acknowledged_is_lost(etcd_url, etcd_cluster):
    procs = _start_writers(etcd_url, 150)
    time.sleep(1.5 + 1.0)  # the writers start together, then run for a while
    leader = etcd_cluster.leader_index()
    assert leader is not None
    killed_at = time.time()
    etcd_cluster.kill(leader)
    time.sleep(1.0)
    etcd_cluster.restart(leader)
    results = _collect(procs)
    etcd_cluster.wait_ready(30)
    figures = _check(etcd_url, results)
    # recovery: the longest stall any writer saw around the kill
    stall = max(lat for r in results for _n, _s, lat, _t in r["acked"])
    errors = [e for r in results for e in r["errors"]]
    lost = figures["acked"] - figures["in_log"] if figures["in_log"] < figures["acked"] else 0
    print(f"\nfailover: killed etcd leader m{leader} mid-load, restarted after 1.0 s; "
          f"writes acknowledged {figures['acked']}, lost {lost}, errors {len(errors)}, "
          f"longest request (time to recover) {stall:.2f} s, log entries {figures['entries']}")
    assert lost == 0 and not errors
