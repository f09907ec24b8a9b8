"""Two `ktape serve` on one etcd log; the etcd leader and the controller-lease holder die mid-load.

A 3-member etcd cluster (tests/etcd_fixtures.py), two servers on one log prefix, client threads
doing creates and patches of ConfigMaps against both over plain HTTPS (the admin client
certificate from --write-kubeconfig). Mid-load the Raft leader of etcd and the server that
holds the controller lease are killed; both come back a moment later (the server on its port
and data folder). Afterwards: every acknowledged write is in the log exactly once, `ktape
verify --store` passes, both servers report the same head and state digest (GET /ktape/head),
and a Deployment created after the kill got its ReplicaSet and Pods from the other server's
controllers. The figures are printed (bench/README.md's etcd section quotes them).
"""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from tests.server.httpclient import Http

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "PYTHONPATH": ROOT}
LEASE = ["--leader-elect-lease-duration", "3", "--leader-elect-renew-deadline", "2", "--leader-elect-retry-period", "0.5"]
CLIENTS_PER_SERVER = 2
# A pause between a client's iterations (none by default: clients go as fast as the servers
# answer). A new lease holder catches up with the backlog while the other server keeps taking
# writes; it can because the other server's appends wait while it holds `<prefix>/catching-up`
# (engine/server/etcd_follow.py). Before that key, unpaced clients starved the catch-up.
PACE_S = float(os.environ.get("KTAPE_FAILOVER_PACE_S", "0"))


class Server:
    def __init__(self, tmp: str, name: str, store: str):
        self.name, self.store = name, store
        self.data = os.path.join(tmp, name)
        self.kubeconfig = os.path.join(tmp, f"{name}.kubeconfig")
        self.err = os.path.join(tmp, f"{name}.err")
        self.listen = "127.0.0.1:0"
        self.proc = None
        self.url = None

    def start(self) -> "Server":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "log_tools", "--data", self.data, "--store", self.store, "serve", "--listen", self.listen,
             "--write-kubeconfig", self.kubeconfig, *LEASE],
            stdout=subprocess.PIPE, stderr=open(self.err, "a"), text=True, env=ENV, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line.startswith("Serving on "):
            self.proc.kill()
            raise RuntimeError(f"ktape serve {self.name} did not start: {open(self.err).read()[-3000:]}")
        self.url = line.split()[-1]
        self.listen = self.url.split("//", 1)[1]  # restart on the same port
        return self

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.url = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def http(self) -> Http:
        return Http(self.url, self.kubeconfig)

    def head(self) -> dict:
        status, doc, _ = self.http().request("GET", "/ktape/head")
        assert status == 200, doc
        return doc


def _client(server: Server, tag: str, stop: threading.Event, acked: list, failed: list, latencies: list) -> None:
    """Create a ConfigMap, then patch it; record what the server acknowledged."""
    i = 0
    http = None
    while not stop.is_set():
        if server.url is None:  # its server is down: wait for the restart
            http = None
            time.sleep(0.05)
            continue
        try:
            http = http or server.http()
            name = f"cm-{tag}-{i}"
            t0 = time.monotonic()
            status, doc, _ = http.request("POST", "/api/v1/namespaces/default/configmaps",
                                          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": str(i)}})
            latencies.append((t0, time.monotonic() - t0))
            if status != 201:
                failed.append((name, status, doc))
                i += 1
                continue
            acked.append(("create", name, None, t0, time.monotonic()))
            token = f"{tag}-{i}-p"
            t0 = time.monotonic()
            status, doc, _ = http.request("PATCH", f"/api/v1/namespaces/default/configmaps/{name}", {"data": {"p": token}},
                                          headers={"Content-Type": "application/merge-patch+json"})
            latencies.append((t0, time.monotonic() - t0))
            if status == 200:
                acked.append(("patch", name, token, t0, time.monotonic()))
            else:
                failed.append((name, status, doc))
        except (OSError, *http_errors()):  # the server died under the request: outcome unknown, not acknowledged
            http = None
            time.sleep(0.05)
        i += 1
        time.sleep(PACE_S)


def http_errors():
    return (http.client.HTTPException, ssl.SSLError)


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _holder(servers) -> Server | None:
    for s in servers:
        try:
            if s.url and s.head().get("controllers"):
                return s
        except (OSError, AssertionError, *http_errors()):
            pass
    return None


def _owned(server: Server, resource: str, label: str) -> list:
    try:
        return _list(server, resource, label)
    except (OSError, *http_errors()):  # the new lease holder's engine thread is still catching up
        return []


def _list(server: Server, resource: str, label: str) -> list:
    status, doc, _ = server.http().request("GET", f"/apis/apps/v1/namespaces/default/{resource}?labelSelector={label}"
                                           if resource != "pods" else f"/api/v1/namespaces/default/pods?labelSelector={label}")
    return doc.get("items", []) if status == 200 else []


def test_two_servers_survive_etcd_leader_and_lease_holder_deaths(etcd_url, etcd_cluster):
    tmp = tempfile.mkdtemp(prefix="ktape-etcd-failover-")
    servers: list[Server] = []
    try:
        init = subprocess.run([sys.executable, "-m", "log_tools", "--data", os.path.join(tmp, "a"), "--store", etcd_url,
                               "init", "--nodes", "2"], capture_output=True, text=True, env=ENV, cwd=ROOT)
        assert init.returncode == 0, init.stderr
        servers = [Server(tmp, "a", etcd_url).start(), Server(tmp, "b", etcd_url).start()]
        holder = _wait(lambda: _holder(servers), 15, "no server took the controller lease")
        other = servers[1] if holder is servers[0] else servers[0]

        stop = threading.Event()
        acked: list = []
        failed: list = []
        latencies: list = []
        threads = [threading.Thread(target=_client, args=(s, f"{s.name}{k}", stop, acked, failed, latencies), daemon=True)
                   for s in servers for k in range(CLIENTS_PER_SERVER)]
        for t in threads:
            t.start()
        time.sleep(3.0)  # into the load

        leader = etcd_cluster.leader_index()
        assert leader is not None
        killed_at = time.monotonic()
        etcd_cluster.kill(leader)
        holder.kill()
        # A Deployment created right after the kill, on the surviving server: only the new lease
        # holder's controllers can give it a ReplicaSet and Pods.
        def restart():  # both come back a second later, while the survivor works on
            time.sleep(1.0)
            etcd_cluster.restart(leader)
            holder.start()  # back on its port and data folder, following the log from its cache

        restarter = threading.Thread(target=restart, daemon=True)
        restarter.start()
        _wait(lambda: _try_create_deployment(other), 20, "the surviving server never took the Deployment")
        first_ack_after = _wait(lambda: min((a[4] for a in acked if a[3] > killed_at), default=None), 20,
                                "no write was acknowledged after the kill")
        try:
            _wait(lambda: _owned(other, "replicasets", "app=after-kill"), 40, "no ReplicaSet for the Deployment created after the kill")
            pods = _wait(lambda: len(_owned(other, "pods", "app=after-kill")) == 2, 20, "the ReplicaSet's Pods never came")
        except AssertionError:
            print("heads:", [s.head() if s.url else None for s in servers], "killed at", killed_at, "now", time.monotonic())
            raise
        controllers_back = time.monotonic() - killed_at
        restarter.join(60)
        assert pods
        time.sleep(2.0)  # load on both again, after the restarts
        stop.set()
        for t in threads:
            t.join(40)
        etcd_cluster.wait_ready(30)

        # Both servers fold the same log into the same state.
        def same():
            ha, hb = servers[0].head(), servers[1].head()
            keys = ("seq", "digest", "stateDigest")
            return (ha, hb) if all(ha[k] == hb[k] for k in keys) else None

        ha, hb = _wait(same, 20, "the two servers never agreed on the head")
        assert [ha["controllers"], hb["controllers"]].count(True) == 1
        for s in servers:
            s.stop()

        # Every acknowledged write is in the log exactly once.
        from engine.log import eventlog
        from engine.log.etcd_store import EtcdStore

        store = EtcdStore(etcd_url)  # a fresh reader: its open checks every entry
        try:
            with store.begin() as t:
                creates: dict[str, int] = {}
                patches: dict[str, int] = {}
                for e in eventlog.scan_entries(t):
                    r = e.request
                    if r.resource != "configmaps" or not e.changed:
                        continue
                    if r.verb == "create":
                        n = r.body["metadata"]["name"]
                        creates[n] = creates.get(n, 0) + 1
                    elif r.verb == "patch":
                        tok = (r.body or {}).get("data", {}).get("p")
                        patches[tok] = patches.get(tok, 0) + 1
        finally:
            store.close()
        lost = [a for a in acked if (creates if a[0] == "create" else patches).get(a[1] if a[0] == "create" else a[2], 0) == 0]
        twice = [a for a in acked if (creates if a[0] == "create" else patches).get(a[1] if a[0] == "create" else a[2], 0) > 1]
        assert not lost and not twice, (lost[:5], twice[:5])

        verify = subprocess.run([sys.executable, "-m", "log_tools", "--data", os.path.join(tmp, "verify"), "--store", etcd_url,
                                 "verify"], capture_output=True, text=True, env=ENV, cwd=ROOT)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        stall = max(lat for t0, lat in latencies if t0 + lat > killed_at)
        print(f"\nserve failover: 2 servers, {len(threads)} clients; killed etcd leader m{leader} and the lease holder "
              f"{holder.name} mid-load, both restarted after 1 s; writes acknowledged {len(acked)}, lost 0, "
              f"unacknowledged {len(failed)}; first write acknowledged {first_ack_after - killed_at:.2f} s after the kill, "
              f"longest request {stall:.2f} s; Deployment created after the kill had its ReplicaSet and 2 Pods "
              f"{controllers_back:.1f} s after the kill; both servers at seq {ha['seq']} with the same state digest")
    finally:
        for s in servers:
            s.stop()
        _restart_killed(etcd_cluster)
        if os.environ.get("KTAPE_KEEP_TMP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _restart_killed(cluster) -> None:
    """Make sure a member this test killed is running again for the session's other tests."""
    dead = [i for i, p in enumerate(cluster.procs) if p is None]
    for i in dead:
        cluster.restart(i)
    if dead:
        cluster.wait_ready(30)


def _try_create_deployment(server: Server):
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "after-kill", "labels": {"app": "after-kill"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "after-kill"}},
                     "template": {"metadata": {"labels": {"app": "after-kill"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    try:
        got = server.http().request("POST", "/apis/apps/v1/namespaces/default/deployments", body)
    except (OSError, *http_errors()):
        return None
    if got[0] == 409:  # an earlier attempt landed though its reply was lost
        return got
    return got if got[0] == 201 else None
