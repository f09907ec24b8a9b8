"""The ReplicaSet controller end to end: creates, events, status, scale-down, failures, determinism."""

from engine.api import Cluster
from engine.client import must
from engine.controllers.replicaset import ReplicaSetController
from engine.log.transfer import export_lines
from engine.log.verify import verify
from engine.records import Admitted, Denied
from tests.controllers.test_replicaset_support import (
    RS_USER, S, InstantKubelet, actors, boot, entries, events, names, owned_by, pods, replicaset, report_ready, run_pod,
    with_quota,
)


def test_creates_pods_in_slow_start_batches_with_events_and_status():
    c = boot()
    before = c.cluster.head().seq
    rs = must(c.create(replicaset(replicas=10)))
    mine = [e for e in entries(c, before) if e.request.user == RS_USER]
    verbs = [(e.request.verb, e.request.resource, e.request.subresource) for e in mine]
    # batch of 1, report, batch of 2, report, 4, report, 3, report
    pattern = []
    for size in (1, 2, 4, 3):
        pattern += [("create", "pods", "")] * size + [("create", "events", "")] * size + [("update", "replicasets", "status")]
    assert verbs == pattern
    made = owned_by(c, rs)
    assert len(made) == 10
    for p in made:
        meta = p["metadata"]
        assert meta["name"].startswith("frontend-") and len(meta["name"]) == len("frontend-") + 5
        assert meta["generateName"] == "frontend-" and meta["labels"] == {"tier": "frontend"}
        assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "frontend",
                                            "uid": rs["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
        assert p["spec"]["containers"][0]["image"] == "wangyanglinux/myapp:v1"
    evs = events(c, "frontend")
    # The tenth distinct "Created pod" message becomes client-go's combined event, as on a real cluster.
    order = [e.outcome.decided["name"] for e in mine if e.request.verb == "create" and e.request.resource == "pods"]
    created = [m for _t, _r, m in evs]
    assert created == [f"Created pod: {n}" for n in order[:9]] + [f"(combined from similar events): Created pod: {order[9]}"]
    assert {(t, r) for t, r, _m in evs} == {("Normal", "SuccessfulCreate")} and len(evs) == 10
    ev = must(c.list("events"))["items"][0]
    assert ev["source"] == {"component": "replicaset-controller"} and ev["involvedObject"]["kind"] == "ReplicaSet"
    assert ev["metadata"]["name"].startswith("frontend.")
    status = must(c.get("rs", "frontend"))["status"]
    assert status == {"replicas": 10, "fullyLabeledReplicas": 10, "observedGeneration": 1}


def test_a_converged_replicaset_writes_nothing():
    c = boot()
    must(c.create(replicaset(replicas=2)))
    head = c.cluster.head().seq
    c.cluster.settle()
    must(c.patch("rs", "frontend", {"metadata": {"labels": {"x": "y"}}}))
    mine = [e for e in entries(c, head) if e.request.user == RS_USER]
    assert mine == []


def test_status_counts_ready_and_available_with_min_ready_seconds():
    c = boot()
    must(c.create(replicaset(replicas=3, min_ready=10)))
    p1, p2, p3 = names(pods(c))
    run_pod(c, p1)
    run_pod(c, p2)
    st = must(c.get("rs", "frontend"))["status"]
    assert (st["replicas"], st["readyReplicas"], st.get("availableReplicas", 0)) == (3, 2, 0)
    t0 = c.cluster.head().at
    c.cluster.advance(10 * S)  # ready for exactly 10 s: not yet available (strict)
    assert must(c.get("rs", "frontend"))["status"].get("availableReplicas", 0) == 0
    c.cluster.advance(1 * S)  # the controller asked to be woken at ready + minReadySeconds + 1 s
    st = must(c.get("rs", "frontend"))["status"]
    assert st["availableReplicas"] == 2 and st["readyReplicas"] == 2
    wake = [e for e in entries(c, 0) if e.request.user == RS_USER and e.request.subresource == "status"][-1]
    assert wake.at == t0 + 11 * S
    report_ready(c, p3)
    assert must(c.get("rs", "frontend"))["status"]["readyReplicas"] == 3


def test_status_counts_fully_labeled_replicas():
    c = boot()
    rs = replicaset(replicas=2, selector={"matchLabels": {"tier": "frontend"}}, labels={"tier": "frontend"})
    rs["spec"]["template"]["metadata"]["labels"]["track"] = "stable"
    must(c.create(rs))
    victim = names(pods(c))[0]
    must(c.patch("pods", victim, {"metadata": {"labels": {"track": None}}}, patch_type="strategic"))
    st = must(c.get("rs", "frontend"))["status"]
    assert st["replicas"] == 2 and st["fullyLabeledReplicas"] == 1


def test_scale_down_deletes_the_pods_ranked_first():
    c = boot()
    must(c.create(replicaset(replicas=3)))
    p1, p2, p3 = names(pods(c))
    run_pod(c, p2)
    c.cluster.advance(3600 * S)
    run_pod(c, p3)  # ready for a moment only
    c.cluster.advance(10 * S)
    before = c.cluster.head().seq
    must(c.patch("rs", "frontend", {"spec": {"replicas": 1}}, patch_type="strategic"))
    assert names(pods(c)) == [p2]  # p1 is pending and unassigned, p3 ready more recently
    mine = [e for e in entries(c, before) if e.request.user == RS_USER]
    deletes = [e.request.name for e in mine if e.request.verb == "delete"]
    assert sorted(deletes) == sorted([p1, p3])
    assert ("Normal", "SuccessfulDelete", f"Deleted pod: {p1}") in events(c, "frontend")
    assert must(c.get("rs", "frontend"))["status"]["replicas"] == 1


def test_pod_deletion_cost_protects_a_pod():
    c = boot()
    must(c.create(replicaset(replicas=2)))
    a, b = names(pods(c))
    must(c.patch("pods", a, {"metadata": {"annotations": {"controller.kubernetes.io/pod-deletion-cost": "100"}}},
                 patch_type="strategic"))
    must(c.scale("rs", "frontend", 1))  # the scale subresource, as `kubectl scale rs/frontend --replicas=1`
    assert names(pods(c)) == [a]


def test_deleted_pod_is_replaced():
    c = boot()
    must(c.create(replicaset(replicas=2)))
    gone = names(pods(c))[0]
    must(c.delete("pods", gone))
    now = names(pods(c))
    assert len(now) == 2 and gone not in now


def test_pods_that_become_ready_at_once_settle(tmp_path):
    c = boot(Cluster.open(str(tmp_path / "d"), actors=actors([InstantKubelet()])))
    must(c.create(replicaset(replicas=5)))
    ps = pods(c)
    assert len(ps) == 5 and all(p["status"]["phase"] == "Running" for p in ps)
    st = must(c.get("rs", "frontend"))["status"]
    assert st["readyReplicas"] == 5 and st["availableReplicas"] == 5
    assert len([e for e in events(c, "frontend") if e[1] == "SuccessfulCreate"]) == 5
    c.cluster.close()


def test_failed_creates_set_replica_failure_and_stop_the_slow_start():
    c = boot()
    quota = with_quota(c, limit=2)
    before = c.cluster.head().seq
    must(c.create(replicaset(replicas=10)))
    mine = [e for e in entries(c, before) if e.request.user == RS_USER and e.request.resource == "pods"]
    outcomes = [type(e.outcome).__name__ for e in mine]
    # batch 1 ok; batch 2: one ok, one refused -> the slow start stops (7 never attempted)
    assert outcomes == ["Admitted", "Admitted", "Denied"]
    refusal = mine[-1].outcome
    assert isinstance(refusal, Denied) and "exceeded quota" in refusal.message
    st = must(c.get("rs", "frontend"))["status"]
    assert st["replicas"] == 2
    [cond] = st["conditions"]
    assert cond["type"] == "ReplicaFailure" and cond["status"] == "True" and cond["reason"] == "FailedCreate"
    assert cond["message"] == refusal.message and cond["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    evs = events(c, "frontend")
    assert ("Warning", "FailedCreate", f"Error creating: {refusal.message}") in evs
    assert len([e for e in evs if e[1] == "SuccessfulCreate"]) == 2

    # the controller retries after 1 s, 1 s, 2 s, 4 s ... (one create each) while the quota holds
    before = c.cluster.head().seq
    c.cluster.advance(8 * S)
    retries = [e for e in entries(c, before) if e.request.user == RS_USER and e.request.resource == "pods"]
    assert all(isinstance(e.outcome, Denied) for e in retries)
    assert [e.at - retries[0].at for e in retries] == [0, 1 * S, 3 * S, 7 * S]
    assert len(must(c.get("rs", "frontend"))["status"]["conditions"]) == 1

    quota.limit = 100
    c.cluster.advance(8 * S)
    st = must(c.get("rs", "frontend"))["status"]
    assert st["replicas"] == 10 and "conditions" not in st
    assert len(pods(c)) == 10


def test_refused_creates_do_not_loop_and_a_spec_fix_retries_at_once():
    c = boot()
    quota = with_quota(c, limit=0)
    must(c.create(replicaset(replicas=3)))
    denied = [e for e in entries(c, 0) if e.request.user == RS_USER and isinstance(e.outcome, Denied)]
    assert len(denied) == 1  # the first batch (1 pod) failed: nothing more at this instant
    quota.limit = 10
    must(c.patch("rs", "frontend", {"spec": {"replicas": 4}}, patch_type="strategic"))  # a spec change: retry now
    st = must(c.get("rs", "frontend"))["status"]
    assert st["replicas"] == 4 and "conditions" not in st


def test_no_creates_and_no_failure_in_a_terminating_namespace():
    # No namespace controller here, so the namespace stays Terminating with its content in place.
    from engine.controllers.garbage_collector import GarbageCollector
    from engine.controllers.replicaset import ReplicationManager

    c = boot(Cluster.memory(actors=[GarbageCollector(), ReplicaSetController(), ReplicationManager()]))
    must(c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}))
    must(c.create({**replicaset(replicas=2), "metadata": {"name": "web", "namespace": "doomed"}}))
    must(c.delete("namespaces", "doomed"))
    assert must(c.get("namespaces", "doomed", ""))["status"]["phase"] == "Terminating"
    before = c.cluster.head().seq
    must(c.delete("pods", names(pods(c, "doomed"))[0], "doomed"))
    mine = [e for e in entries(c, before) if e.request.user == RS_USER]
    assert [(e.request.verb, e.request.subresource) for e in mine] == [("update", "status")]  # replicas 2 -> 1 only
    rs = must(c.get("rs", "web", "doomed"))
    assert rs["status"]["replicas"] == 1 and "conditions" not in rs["status"]


def test_a_replicaset_being_deleted_does_not_replace_pods():
    c = boot()
    must(c.create(replicaset(replicas=2)))
    must(c.delete("rs", "frontend", propagation="Foreground"))
    assert must(c.list("rs"))["items"] == [] and pods(c) == []
    creates = [e for e in entries(c, 0) if e.request.user == RS_USER and e.request.verb == "create"
               and e.request.resource == "pods"]
    assert len(creates) == 2


def scenario():
    c = boot()
    must(c.create(replicaset(replicas=4, min_ready=5)))
    for p in names(pods(c))[:2]:
        run_pod(c, p)
    c.cluster.advance(30 * S)
    must(c.patch("rs", "frontend", {"spec": {"replicas": 2}}, patch_type="strategic"))
    must(c.delete("pods", names(pods(c))[0]))
    c.cluster.advance(30 * S)
    with c.cluster.view() as v:
        return list(export_lines(v.txn)), verify(v.txn)


def test_runs_are_deterministic_and_verify():
    first, report = scenario()
    second, _ = scenario()
    assert first == second
    assert not report.problems, [str(p) for p in report.problems]


def test_keys():
    from engine.records import LogEntry, Request
    from reducers.keys import object_key

    rsc = ReplicaSetController()

    def entry(resource, group="", user="u", sub="", digest="d"):
        return LogEntry(1, 0, Request(verb="update", group=group, resource=resource, namespace="ns", name="x",
                                      subresource=sub, user=user), Admitted(200, {}, digest))

    rs = {"metadata": {"name": "x", "namespace": "ns"}}
    assert list(rsc.keys_for(entry("replicasets", "apps"), rs)) == [object_key("apps", "replicasets", "ns", "x")]
    assert list(rsc.keys_for(entry("replicasets", "apps", user=RS_USER, sub="status"), rs)) == []
    owned = {"metadata": {"name": "p", "namespace": "ns", "ownerReferences": [
        {"kind": "ReplicaSet", "name": "x", "uid": "1", "controller": True}]}, "status": {"phase": "Running"}}
    assert list(rsc.keys_for(entry("pods"), owned)) == [object_key("apps", "replicasets", "ns", "x")]
    rc_owned = {"metadata": {"name": "p", "namespace": "ns", "ownerReferences": [
        {"kind": "ReplicationController", "name": "x", "uid": "1", "controller": True}]}}
    assert list(rsc.keys_for(entry("pods"), rc_owned)) == []
    orphan = {"metadata": {"name": "p", "namespace": "ns"}, "status": {"phase": "Running"}}
    assert list(rsc.keys_for(entry("pods"), orphan)) == [b"orphan\x01" + object_key("", "pods", "ns", "p")]
    assert list(rsc.keys_for(entry("pods", digest="deleted"), orphan)) == []
    assert list(rsc.keys_for(entry("configmaps"), orphan)) == []


def test_scale_down_prefers_pods_doubled_up_with_their_deployments_other_pods():
    from tests.controllers.test_replicaset_support import bind, report_ready

    c = boot()
    deploy = must(c.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                            "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                                     "template": {"metadata": {"labels": {"app": "web"}},
                                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}))
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": deploy["metadata"]["uid"],
           "controller": True, "blockOwnerDeletion": True}

    def owned_rs(name, version):
        rs = replicaset(name=name, replicas=2, labels={"app": "web", "v": version})
        rs["metadata"]["ownerReferences"] = [ref]
        return must(c.create(rs))

    old, new = owned_rs("web-old", "1"), owned_rs("web-new", "2")
    a1, a2 = names(owned_by(c, new))
    b1, b2 = names(owned_by(c, old))
    for p in (b1, b2):
        bind(c, p, "node1")
        report_ready(c, p, "node1")
    bind(c, a1, "node1")
    report_ready(c, a1, "node1")  # ready long ago ...
    c.cluster.advance(3600 * S)
    bind(c, a2, "node2")
    report_ready(c, a2, "node2")  # ... a2 only just, but a1 shares node1 with two more pods of the Deployment
    c.cluster.advance(10 * S)
    must(c.patch("rs", "web-new", {"spec": {"replicas": 1}}, patch_type="merge"))
    assert names(owned_by(c, new)) == [a2]
    assert len(owned_by(c, old)) == 2
