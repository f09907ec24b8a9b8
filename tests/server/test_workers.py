"""`ktape serve --workers N`: HTTP worker processes in front of the one process that keeps the
log. Connections spread round-robin, every worker's requests land in one sequence, a watch on one
worker sees writes made through another, controllers run, and the workers go when the first
process goes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.server.conftest import ROOT, start_server, stop_server
from tests.server.httpclient import Http

NS = "/api/v1/namespaces/default"


def cm(name: str, **data) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out += [int(k) for k in task.read_text().split()]
    return out


@pytest.fixture(scope="module")
def two():
    tmp = tempfile.mkdtemp(prefix="ktape-serve-workers-")
    s = start_server(tmp, "--workers", "2", "--clock-rate", "5")
    yield s
    stop_server(s)


def test_requests_from_every_worker_form_one_sequence(two):
    apis = [Http(two.url, two.kubeconfig) for _ in range(4)]  # four connections: two per worker
    rvs = []
    for i, api in enumerate(apis):
        code, obj, _ = api.request("POST", f"{NS}/configmaps", cm(f"wk-{i}", v=str(i)))
        assert code == 201, obj
        rvs.append(int(obj["metadata"]["resourceVersion"]))
    assert rvs == sorted(rvs) and len(set(rvs)) == 4
    for api in apis:
        code, lst, _ = api.request("GET", f"{NS}/configmaps")
        assert code == 200
        assert {f"wk-{i}" for i in range(4)} <= {o["metadata"]["name"] for o in lst["items"]}
        assert int(lst["metadata"]["resourceVersion"]) >= rvs[-1]
    code, st, _ = apis[1].request("GET", f"{NS}/configmaps/nope")
    assert (code, st["kind"], st["reason"]) == (404, "Status", "NotFound")
    code, st, _ = Http(two.url, two.kubeconfig, cert=False, token="not-a-token").request("GET", f"{NS}/configmaps")
    assert (code, st["reason"]) == (401, "Unauthorized")


def test_a_watch_on_one_worker_sees_writes_through_the_other(two):
    a, b = Http(two.url, two.kubeconfig), Http(two.url, two.kubeconfig)
    code, lst, _ = a.request("GET", f"{NS}/configmaps")
    stream = a.stream(f"{NS}/configmaps?watch=true&resourceVersion={lst['metadata']['resourceVersion']}&timeoutSeconds=3")
    got: list[dict] = []
    t = threading.Thread(target=lambda: got.extend(stream))
    t.start()
    time.sleep(0.3)
    assert b.request("POST", f"{NS}/configmaps", cm("across", v="1"))[0] == 201
    t.join(10)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in got] == [("ADDED", "across")]


def test_controllers_run_behind_the_workers(two):
    api = Http(two.url, two.kubeconfig)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    assert api.request("POST", "/apis/apps/v1/namespaces/default/deployments", dep)[0] == 201
    deadline = time.time() + 30
    pods: list = []
    while time.time() < deadline:
        pods = api.request("GET", f"{NS}/pods?labelSelector=app%3Dweb")[1]["items"]
        if len(pods) == 2 and all((p.get("status") or {}).get("phase") == "Running" for p in pods):
            break
        time.sleep(0.3)
    assert len(pods) == 2 and all(p["status"]["phase"] == "Running" for p in pods)


def test_both_workers_served_connections(two):
    """Round-robin handoff: each worker reports the requests it sent on when it stops."""
    stop_server(two)
    counts = [int(n) for n in re.findall(r"worker stopped \((\d+) requests\)", Path(two.tmp, "serve.err").read_text())]
    assert len(counts) == 2 and min(counts) > 0, counts


def test_workers_go_with_the_first_process_and_the_log_verifies():
    tmp = tempfile.mkdtemp(prefix="ktape-serve-workers-kill-")
    s = start_server(tmp, "--workers", "2")
    workers = children(s.proc.pid)
    assert len(workers) == 2
    api = Http(s.url, s.kubeconfig)
    acked = []
    for i in range(20):
        code, obj, _ = api.request("POST", f"{NS}/configmaps", cm(f"k-{i}", v=str(i)))
        assert code == 201
        acked.append(int(obj["metadata"]["resourceVersion"]))
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=10)
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{w}") and "zombie" not in _state(w) for w in workers):
        time.sleep(0.1)
    assert not any(os.path.exists(f"/proc/{w}") and "zombie" not in _state(w) for w in workers)
    rows = [json.loads(line) for line in s.ktape("--read-only", "log", "--resource", "configmaps", "--verb", "create",
                                                 "-o", "json").stdout.splitlines()]
    assert [r["seq"] for r in rows] == acked
    v = s.ktape("verify")
    assert v.returncode == 0, v.stdout + v.stderr


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0]
    except (OSError, IndexError):
        return "zombie"


def test_workers_are_refused_on_etcd():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cp = subprocess.run([sys.executable, "-m", "log_tools", "--data", tempfile.mkdtemp(), "--store", "etcd://127.0.0.1:1",
                         "serve", "--workers", "2"], capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=60)
    assert cp.returncode != 0
    assert re.search(r"--workers must be 1 or more, and 1 with --store etcd://", cp.stderr), cp.stderr
