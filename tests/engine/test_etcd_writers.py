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


def _start_writers(url: str, count: int, names=("a", "b"), campaign: bool = False, deployment: str | None = None):
    from engine.api import Cluster
    from tests.engine.conftest import booted

    booted(Cluster(EtcdStore(url), actors=[])).close()
    env = {**os.environ, "PYTHONPATH": ROOT}
    start_at = time.time() + 1.5  # both line up after their imports
    procs = []
    for i, n in enumerate(names):
        cmd = [sys.executable, "-m", "tests.engine.etcd_writer", url, n, str(count), "--wait", "--start-at", str(start_at)]
        if campaign:
            cmd.append("--campaign")  # the controllers run where the leader lease is
        elif i == 0:
            cmd.append("--controllers")
        if deployment:
            cmd += ["--deployment", f"{deployment}-{n}"]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env=env, cwd=ROOT))
    return procs


def _until(p, word: str, acked: list) -> None:
    while True:
        line = p.stdout.readline()
        if not line:
            raise AssertionError(f"writer exited: {p.stderr.read()[-2000:]}")
        if line.strip() == word:
            return
        acked.append(json.loads(line)["ack"])


def _collect(procs, killed=()) -> list[dict]:
    """Every writer's acknowledged writes and final report; a killed writer's acks up to its death."""
    acks: dict = {id(p): [] for p in procs}
    live = [p for p in procs if p not in killed]
    for p in killed:
        for line in p.stdout.read().splitlines():
            if line.startswith('{"ack"'):
                acks[id(p)].append(json.loads(line)["ack"])
    for word in ("done", "stopped"):  # barrier: all done writing, then none leads any more
        for p in live:
            _until(p, word, acks[id(p)])
        for p in live:
            p.stdin.write(word + "\n")
            p.stdin.flush()
    out = []
    for p in procs:
        if p in killed:
            out.append({"acked": acks[id(p)], "errors": [], "killed": True})
            continue
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr[-2000:]
        report = json.loads(stdout.strip().splitlines()[-1])
        report["acked"] = acks[id(p)]
        out.append(report)
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
        live = [r for r in results if not r.get("killed")]
        assert len({r["digest"] for r in live} | {head.digest}) == 1
        assert len({r["state"] for r in live}) == 1
        from tests.engine.etcd_writer import state_digest

        assert state_digest(store) == live[0]["state"]
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


def _replicasets_of(url: str, deployment: str) -> list[str]:
    from engine.log import eventlog

    store = EtcdStore(url)
    try:
        with store.begin() as t:
            return [e.request.user for e in eventlog.scan_entries(t)
                    if e.request.resource == "replicasets" and e.request.verb == "create" and e.changed
                    and (e.request.body or {}).get("metadata", {}).get("labels", {}).get("app") == deployment]
    finally:
        store.close()


def test_controllers_move_when_their_leader_process_dies(etcd_url, etcd_cluster):
    """Both writers campaign for the controllers' lease; the etcd leader and the writer holding
    the lease are killed mid-load; the survivor takes the lease over and its controllers act on
    the Deployment it creates afterwards; nothing the dead writer acknowledged is lost."""
    from engine.log.etcd_lease import LeaderElector

    procs = _start_writers(etcd_url, 200, campaign=True, deployment="web")
    probe = LeaderElector(etcd_url, identity="probe", ttl=2, renew_deadline=1.5, retry_period=0.3)
    deadline = time.monotonic() + 20
    while probe.holder() is None:  # the writers are still importing
        assert time.monotonic() < deadline, "no writer took the controllers' lease"
        time.sleep(0.1)
    time.sleep(2.0)  # into the load (the writers start together 1.5 s after spawning)
    holder = probe.holder()
    assert holder in ("a", "b")
    victim = procs[0] if holder == "a" else procs[1]
    survivor = "b" if holder == "a" else "a"
    leader = etcd_cluster.leader_index()
    etcd_cluster.kill(leader)
    victim.kill()
    victim.wait()
    time.sleep(1.0)
    etcd_cluster.restart(leader)
    deadline = time.monotonic() + 30
    while not _replicasets_of(etcd_url, f"web-{survivor}"):
        assert time.monotonic() < deadline, "the survivor's controllers never acted"
        time.sleep(0.3)
    assert _replicasets_of(etcd_url, f"web-{survivor}") == ["system:serviceaccount:kube-system:deployment-controller"]
    results = _collect(procs, killed=(victim,))
    etcd_cluster.wait_ready(30)
    assert probe.holder() is None  # the survivor released the lease when it stopped
    figures = _check(etcd_url, results)
    live = [r for r in results if not r.get("killed")]
    assert live[0]["terms"] >= 1 and not live[0]["errors"]
    print(f"\ncontroller failover: writer {holder} (lease holder) and etcd leader m{leader} killed; writes acknowledged "
          f"{figures['acked']} (the dead writer's {len([r for r in results if r.get('killed')][0]['acked'])}), "
          f"lost 0; writer {survivor} took the lease and its Deployment controller made the ReplicaSet")
    probe.close()
