"""Audit events from a real log: Event shape, filters through the indexes, --diff, the CLI."""

import json
import re

import pytest

from engine.api import Cluster
from engine.client import Client, must
from engine.clock import parse_time
from engine.log import eventlog
from log_tools.cli import main
from log_tools.commands.audit import diff_lines, event_for
from projections import audit as A
from projections.audit_query import Query, select
from tests.engine.conftest import START, booted, configmap

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "web", "image": "nginx"}]}}


@pytest.fixture(scope="module")
def cluster():
    c = booted(Cluster.memory())
    admin = Client(c)
    alice = Client(c, as_user="alice", as_groups=("dev",))
    must(admin.create(POD))
    c.advance(30_000_000)
    must(alice.get("pods", "web"))
    alice.get("pods", "nope")  # a denial (404)
    must(admin.create(configmap("settings")))
    must(admin.patch("configmaps", "settings", {"data": {"mode": "fast"}}, patch_type="merge"))
    must(alice.delete("pods", "web"))
    c.advance(60_000_000)
    yield c
    c.close()


def _select(c, **kw):
    with c.store.begin() as txn:
        return select(txn, Query(**kw))


def _event(c, e, policy=A.DEFAULT_POLICY, diff=False):
    with c.store.begin() as txn:
        return event_for(txn, e, policy, A.SENSITIVE, diff=diff)


def test_who_deleted_the_pod_and_what_changed(cluster):
    # graceful deletion: alice's delete marks the pod, its kubelet removes it once stopped
    e, final = _select(cluster, resource="pods", namespace="default", name="web", verb="delete")
    assert final.request.user == "system:node:node1" and final.seq > e.seq
    _e, ev, lines = _event(cluster, e, diff=True)
    assert ev["user"]["username"] == "kubernetes-admin"  # the sender ...
    assert ev["impersonatedUser"] == {"username": "alice", "groups": ["dev", "system:authenticated"]}  # ... acting as alice
    assert ev["objectRef"] == {"resource": "pods", "namespace": "default", "name": "web", "apiVersion": "v1"}
    assert ev["requestURI"] == "/api/v1/namespaces/default/pods/web"
    assert lines == ["metadata.deletionGracePeriodSeconds: <none> -> 30",
                     'metadata.deletionTimestamp: <none> -> "2026-01-01T00:01:00Z"'], lines
    final_lines = _event(cluster, final, diff=True)[2]  # the removal: the whole object before, nothing after
    assert final_lines[0] == "- removed" and any(line.startswith('spec: {"containers": [{"image": "nginx"') and
                                                 line.endswith("-> <none>") for line in final_lines), final_lines
    assert json.loads(ev["annotations"]["kubetape.io/diff"]) == lines


def test_event_shape_is_audit_k8s_io_v1(cluster):
    (e,) = _select(cluster, resource="configmaps", namespace="default", name="settings", verb="patch")
    _e, ev, _ = _event(cluster, e)
    assert ev["kind"] == "Event" and ev["apiVersion"] == "audit.k8s.io/v1"
    assert ev["stage"] == "ResponseComplete" and ev["level"] == "RequestResponse" and ev["verb"] == "patch"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", ev["auditID"])
    assert _event(cluster, e)[1]["auditID"] == ev["auditID"]  # derived from the entry
    assert ev["responseStatus"] == {"metadata": {}, "code": 200}
    assert ev["requestObject"] == {"data": {"mode": "fast"}}
    assert ev["responseObject"]["data"] == {"mode": "fast"} and ev["responseObject"]["kind"] == "ConfigMap"
    assert ev["requestReceivedTimestamp"] == ev["stageTimestamp"] == "2026-01-01T00:00:30.000000Z"
    assert ev["annotations"]["kubetape.io/seq"] == str(e.seq)


def test_levels_decide_what_is_included(cluster):
    (e,) = _select(cluster, resource="configmaps", namespace="default", name="settings", verb="patch")
    for level, has_req, has_resp in (("Metadata", False, False), ("Request", True, False), ("RequestResponse", True, True)):
        p = A.parse_policy({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": level}]})
        ev = _event(cluster, e, p)[1]
        assert ("requestObject" in ev, "responseObject" in ev) == (has_req, has_resp), level
    p = A.parse_policy({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "None"}]})
    assert _event(cluster, e, p) is None


def test_denials_of_a_user(cluster):
    denied = _select(cluster, user="alice", outcome="denied")
    assert [(e.request.verb, e.request.name, e.code) for e in denied] == [("get", "nope", 404)]
    ev = _event(cluster, denied[0])[1]
    assert ev["responseStatus"] == {"metadata": {}, "status": "Failure", "message": 'pods "nope" not found',
                                    "reason": "NotFound", "code": 404}
    assert [e.request.verb for e in _select(cluster, user="alice")] == ["get", "get", "delete"]
    assert [e.request.verb for e in _select(cluster, group="dev", reads=True)] == ["get", "get"]
    assert [e.code for e in _select(cluster, user="alice", outcome="4xx")] == [404]


def test_what_a_controller_did_and_time_windows(cluster):
    kubelet = _select(cluster, user="system:node:node1", writes=True)
    assert kubelet and all(e.request.user == "system:node:node1" and e.request.is_write for e in kubelet)
    window = _select(cluster, writes=True, since=START + 30_000_000, until=START + 30_000_000)
    assert window and all(e.at == START + 30_000_000 for e in window)
    assert {"patch", "delete"} <= {e.request.verb for e in window}


def test_one_object_query_reads_only_its_entries(cluster, monkeypatch):
    reads = []
    real = eventlog.read_entry
    monkeypatch.setattr(eventlog, "read_entry", lambda txn, s: reads.append(s) or real(txn, s))
    got = _select(cluster, resource="configmaps", namespace="default", name="settings")
    assert [e.seq for e in got] == reads  # nothing else was decoded


def test_cli_audit(tmp_path, capsys):
    data = str(tmp_path / "d")
    pod = tmp_path / "pod.yaml"
    pod.write_text(json.dumps(POD))
    assert main(["init", "--start-time", "2026-01-01T00:00:00Z", "--data", data]) == 0
    assert main(["apply", "-f", str(pod), "--data", data]) == 0
    assert main(["delete", "pod", "web", "--as", "alice", "--data", data]) == 0
    capsys.readouterr()
    assert main(["audit", "--resource", "po", "--name", "web", "--verb", "delete", "--diff", "--data", data]) == 0
    out = capsys.readouterr().out
    assert "kubernetes-admin (as alice)" in out and "    metadata.deletionTimestamp: <none> -> " in out
    assert main(["audit", "--user", "alice", "-o", "json", "--data", data]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "EventList" and doc["apiVersion"] == "audit.k8s.io/v1" and len(doc["items"]) == 1
    assert doc["items"][0]["responseObject"]["metadata"]["deletionGracePeriodSeconds"] == 30
    assert main(["audit", "--writes", "-o", "jsonl", "--tail", "2", "--data", data]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(json.loads(x)["kind"] == "Event" for x in lines)
    bad = tmp_path / "policy.yaml"
    bad.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Verbose\n")
    assert main(["audit", "--policy", str(bad), "--data", data]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f'error: rules[0].level: Unsupported value: "Verbose": supported values: "None", "Metadata", '
                           f'"Request", "RequestResponse": from file {bad}')


def test_impersonator_index_is_rebuilt_by_verify(cluster):
    from engine.log.verify import verify

    with cluster.store.begin() as txn:
        assert verify(txn).ok
        assert eventlog.seqs_for_user(txn, "kubernetes-admin")[-1] == _select(cluster, user="alice")[-1].seq


def test_tail_reads_newest_first_and_stops(cluster, monkeypatch):
    every = _select(cluster, writes=True)
    for q in ({"writes": True}, {"user": "system:node:node1"}, {"resource": "pods", "namespace": "default"}):
        full = _select(cluster, **q)
        with cluster.store.begin() as txn:
            assert [e.seq for e in select(txn, Query(**q), limit=3)] == [e.seq for e in full[-3:]]
    reads = []
    real = eventlog.read_entry
    monkeypatch.setattr(eventlog, "read_entry", lambda txn, s: reads.append(s) or real(txn, s))
    with cluster.store.begin() as txn:
        select(txn, Query(writes=True), limit=2)
    assert len(reads) < len(every)
