"""The DaemonSet controller end to end, with the scheduler, simulated kubelets, the garbage collector
and the pod GC: placement by taints and selectors, nodes joining and leaving, ControllerRevisions,
RollingUpdate (maxUnavailable, maxSurge), OnDelete, adoption, failures and determinism."""

from __future__ import annotations

import copy

import pytest
import yaml

from engine.api import Cluster, default_actors
from engine.bootstrap import InitOptions, init, node_manifest
from engine.clock import parse_time, rfc3339
from engine.client import Client, must
from engine.controllers.daemonset import DaemonSetController
from engine.controllers.podgc import PodGarbageCollector
from engine.log.eventlog import scan_entries
from engine.log.transfer import export_lines
from engine.pipeline.identity import node_identity
from engine.records import Request
from log_tools.scenario import FIXTURES
from tests.controllers.test_replicaset_support import with_quota

START = parse_time("2026-01-01T00:00:00Z")
S = 1_000_000
DS_USER = "system:serviceaccount:kube-system:daemon-set-controller"
GC_USER = "system:serviceaccount:kube-system:pod-garbage-collector"
CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}


def wired_actors():
    actors = default_actors()
    names = [a.name for a in actors]
    if "daemonset-controller" in names:
        return actors
    i = names.index("replication-controller") + 1
    return actors[:i] + [DaemonSetController(), PodGarbageCollector()] + actors[i:]


def boot(workers=2) -> Client:
    cluster = Cluster.memory(actors=wired_actors())
    init(cluster, InitOptions(start_time=START, nodes=workers))
    return Client(cluster)


def daemonset(name="ds-test", labels=None, image="nginx", strategy=None, min_ready=0, limit=None, template_spec=None,
              annotations=None):
    labels = labels or {"app": "filebeat"}
    tspec = {"containers": [{"name": "logs", "image": image}], **(template_spec or {})}
    spec = {"selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": tspec}}
    if strategy:
        spec["updateStrategy"] = strategy
    if min_ready:
        spec["minReadySeconds"] = min_ready
    if limit is not None:
        spec["revisionHistoryLimit"] = limit
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta, "spec": spec}


def pods(c: Client, selector="app=filebeat") -> list[dict]:
    return must(c.list("pods", "default", label_selector=selector))["items"]


def placement(c: Client, selector="app=filebeat") -> dict[str, str]:
    """node -> pod name, for the pods not being deleted (fails on two pods per node)."""
    out: dict[str, str] = {}
    for p in pods(c, selector):
        if p["metadata"].get("deletionTimestamp"):
            continue
        node = p["spec"].get("nodeName", "<unscheduled>")
        assert node not in out, f"two pods on {node}"
        out[node] = p["metadata"]["name"]
    return out


def ds_status(c: Client, name="ds-test") -> dict:
    return must(c.get("ds", name))["status"]


def revisions(c: Client) -> dict[str, int]:
    return {r["metadata"]["name"]: r["revision"] for r in must(c.list("controllerrevisions"))["items"]}


def events(c: Client, involved="ds-test") -> list[tuple[str, str]]:
    items = [e for e in must(c.list("events"))["items"] if e["involvedObject"]["name"] == involved]
    items.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["reason"], e["message"]) for e in items]


def entries(c: Client, after=0, user=None) -> list:
    with c.cluster.view() as v:
        return [e for e in scan_entries(v.txn, after + 1) if user is None or e.request.user == user]


def add_node(c: Client, name: str, index: int, labels=None):
    """What `ktape sim add-node` does: the kubelet registers the Node, then posts its status."""
    node, st = node_manifest(name, index, InitOptions(start_time=0))
    node["metadata"]["labels"].update(labels or {})
    kubelet = Client(c.cluster, node_identity(name))
    created = must(kubelet.create(node))
    must(kubelet.update({**created, "status": st}, subresource="status"))


def tolerate_control_plane(c: Client):
    must(c.patch("ds", "ds-test", {"spec": {"template": {"spec": {"tolerations": [CONTROL_PLANE]}}}}))


# --- placement, nodes joining and leaving ------------------------------------------------------------


def test_the_seed_scenario_taints_toleration_nodes_joining_and_leaving():
    c = boot()
    manifest = yaml.safe_load((FIXTURES / "manifests" / "ds.yaml").read_text())
    ds = must(c.create(manifest))
    c.cluster.advance(5 * S)
    assert sorted(placement(c)) == ["node1", "node2"]  # k8s-master's NoSchedule taint is not tolerated
    assert ds_status(c) == {"currentNumberScheduled": 2, "numberMisscheduled": 0, "desiredNumberScheduled": 2,
                            "numberReady": 2, "observedGeneration": 1, "updatedNumberScheduled": 2, "numberAvailable": 2}
    (rev,) = must(c.list("controllerrevisions"))["items"]
    hash1 = rev["metadata"]["labels"]["controller-revision-hash"]
    assert rev["metadata"]["name"] == f"ds-test-{hash1}" and rev["revision"] == 1
    assert rev["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
    assert rev["data"]["spec"]["template"]["$patch"] == "replace"
    for p in pods(c):
        assert p["metadata"]["labels"]["controller-revision-hash"] == hash1
        assert p["spec"]["volumes"][0] == {"name": "varlog", "hostPath": {"path": "/var/log", "type": ""}}
        assert [v["name"][:16] for v in p["spec"]["volumes"][1:]] == ["kube-api-access-"]  # ServiceAccount admission
        terms = p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [p["spec"]["nodeName"]]}]}]
        assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"} in p["spec"]["tolerations"]

    # kubectl patch: tolerate the control plane -> three pods, a second revision
    tolerate_control_plane(c)
    c.cluster.advance(10 * S)
    assert sorted(placement(c)) == ["k8s-master", "node1", "node2"]
    st = ds_status(c)
    counts = (st["desiredNumberScheduled"], st["updatedNumberScheduled"], st["numberAvailable"], st["observedGeneration"])
    assert counts == (3, 3, 3, 2)
    revs = revisions(c)
    assert sorted(revs.values()) == [1, 2] and f"ds-test-{hash1}" in revs

    # a node joins: it gets a pod
    add_node(c, "node3", 3)
    c.cluster.advance(2 * S)
    assert sorted(placement(c)) == ["k8s-master", "node1", "node2", "node3"]
    assert ds_status(c)["desiredNumberScheduled"] == 4

    # it leaves: the pod stays for the pod GC's 40 s quarantine, then goes
    gone = placement(c)["node3"]
    removed_at = c.cluster.head().at
    must(c.delete("nodes", "node3", ""))
    c.cluster.advance(39 * S)
    assert "node3" in placement(c)
    c.cluster.advance(2 * S)
    assert sorted(placement(c)) == ["k8s-master", "node1", "node2"]
    st = ds_status(c)
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberAvailable"]) == (3, 3, 3)
    gc = entries(c, user=GC_USER)
    assert [(e.request.verb, e.request.subresource, e.request.name) for e in gc] == [("patch", "status", gone), ("delete", "", gone)]
    assert gc[0].at == removed_at + 40 * S
    assert gc[0].request.body == {"status": {"phase": "Failed", "conditions": [
        {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(gc[0].at),
         "reason": "DeletionByPodGC", "message": "PodGC: node no longer exists"}]}}
    assert gc[1].request.params["gracePeriodSeconds"] == 0

    reasons = [r for r, _m in events(c)]
    assert reasons.count("SuccessfulCreate") == 6 and reasons.count("SuccessfulDelete") == 2


def test_deleting_the_daemonset_deletes_its_pods_and_revisions():
    c = boot()
    must(c.create(daemonset()))
    c.cluster.advance(2 * S)
    assert len(pods(c)) == 2 and len(revisions(c)) == 1
    must(c.delete("ds", "ds-test"))
    assert pods(c) == [] and revisions(c) == {}


def test_node_selector_follows_node_labels():
    c = boot()
    must(c.create(daemonset(template_spec={"nodeSelector": {"disk": "ssd"}})))
    assert pods(c) == [] and ds_status(c)["desiredNumberScheduled"] == 0
    must(c.patch("nodes", "node1", {"metadata": {"labels": {"disk": "ssd"}}}, ""))
    c.cluster.advance(2 * S)
    assert list(placement(c)) == ["node1"]
    must(c.patch("nodes", "node1", {"metadata": {"labels": {"disk": None}}}, "", patch_type="merge"))
    assert placement(c) == {}  # no longer selected, so it may not continue running
    assert ds_status(c)["desiredNumberScheduled"] == 0


def test_no_execute_taint_evicts_and_no_schedule_keeps():
    c = boot()
    must(c.create(daemonset()))
    c.cluster.advance(2 * S)
    must(c.patch("nodes", "node1", {"spec": {"taints": [{"key": "maintenance", "effect": "NoSchedule"}]}}, ""))
    assert sorted(placement(c)) == ["node1", "node2"]
    st = ds_status(c)
    assert (st["desiredNumberScheduled"], st["numberMisscheduled"]) == (1, 1)
    must(c.patch("nodes", "node2", {"spec": {"taints": [{"key": "maintenance", "effect": "NoExecute"}]}}, ""))
    assert sorted(placement(c)) == ["node1"]


def test_a_down_node_keeps_its_pod():
    c = boot()
    must(c.create(daemonset()))
    c.cluster.advance(2 * S)
    before = placement(c)
    must(c.patch("nodes", "node1", {"metadata": {"annotations": {"sim.kubetape.io/down": rfc3339(c.cluster.head().at)}}},
                 "", patch_type="merge"))
    assert placement(c) == before  # unreachable:NoExecute is tolerated by every daemon pod
    st = ds_status(c)
    assert (st["desiredNumberScheduled"], st["numberMisscheduled"]) == (1, 1)


# --- revisions and updates -----------------------------------------------------------------------


def set_image(c: Client, image: str):
    must(c.patch("ds", "ds-test", {"spec": {"template": {"spec": {"containers": [{"name": "logs", "image": image}]}}}}))


def test_rolling_update_replaces_one_node_at_a_time():
    c = boot(workers=4)
    must(c.create(daemonset()))
    c.cluster.advance(5 * S)
    assert len(placement(c)) == 4
    old_hash = pods(c)[0]["metadata"]["labels"]["controller-revision-hash"]
    mark = c.cluster.head().seq
    set_image(c, "nginx:1.27")
    worst = 0
    for _ in range(10):
        c.cluster.advance(S // 2)
        live = [p for p in pods(c) if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in live if any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", [])))
        worst = max(worst, 4 - ready)
    assert worst == 1  # maxUnavailable 1
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods(c)} != {old_hash}
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.27" for p in pods(c))
    deletes = [e for e in entries(c, mark, DS_USER) if e.request.verb == "delete"]
    assert len(deletes) == 4 and len({e.at for e in deletes}) == 4  # one old pod per step
    st = ds_status(c)
    assert (st["updatedNumberScheduled"], st["numberAvailable"], st["observedGeneration"]) == (4, 4, 2)


def test_rolling_update_with_surge_keeps_every_node_available():
    c = boot(workers=3)
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    must(c.create(daemonset(strategy=surge)))
    c.cluster.advance(5 * S)
    set_image(c, "nginx:1.27")
    most = 0
    for _ in range(12):
        per_node: dict[str, int] = {}
        for p in pods(c):
            ready = any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", []))
            per_node[p["spec"].get("nodeName", "?")] = per_node.get(p["spec"].get("nodeName", "?"), 0) + ready
        assert all(n >= 1 for n in per_node.values()) and len(per_node) == 3
        most = max(most, len(pods(c)))
        c.cluster.advance(S // 2)
    assert most == 4  # one surge pod at a time
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.27" for p in pods(c)) and len(pods(c)) == 3


def test_on_delete_replaces_only_deleted_pods():
    c = boot()
    must(c.create(daemonset(strategy={"type": "OnDelete"})))
    c.cluster.advance(2 * S)
    set_image(c, "nginx:1.27")
    c.cluster.advance(5 * S)
    assert {p["spec"]["containers"][0]["image"] for p in pods(c)} == {"nginx"}
    assert "updatedNumberScheduled" not in ds_status(c)  # zero: omitted
    victim = placement(c)["node1"]
    must(c.delete("pods", victim))
    images = {p["spec"]["nodeName"]: p["spec"]["containers"][0]["image"] for p in pods(c)}
    assert images == {"node1": "nginx:1.27", "node2": "nginx"}
    assert ds_status(c)["updatedNumberScheduled"] == 1


def test_rollback_renumbers_the_revision_and_limit_prunes():
    c = boot()
    must(c.create(daemonset(limit=1)))
    c.cluster.advance(2 * S)
    (first,) = revisions(c)
    set_image(c, "nginx:1.27")
    c.cluster.advance(5 * S)
    set_image(c, "nginx")  # back to the first template: its revision becomes the newest
    c.cluster.advance(5 * S)
    revs = revisions(c)
    assert revs[first] == 3 and len(revs) == 2
    set_image(c, "nginx:1.28")
    c.cluster.advance(5 * S)
    set_image(c, "nginx:1.29")
    c.cluster.advance(5 * S)
    revs = revisions(c)
    assert sorted(revs.values()) == [4, 5]  # revisionHistoryLimit 1: one old revision kept


def test_template_generation_annotation_labels_pods():
    c = boot()
    must(c.create(daemonset(annotations={"deprecated.daemonset.template.generation": "1"})))
    assert {p["metadata"]["labels"].get("pod-template-generation") for p in pods(c)} == {"1"}
    (rev,) = must(c.list("controllerrevisions"))["items"]
    assert rev["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}


def test_min_ready_seconds_wakes_up_for_availability():
    c = boot()
    must(c.create(daemonset(min_ready=5)))
    c.cluster.advance(2 * S)
    st = ds_status(c)
    assert st["numberReady"] == 2 and "numberAvailable" not in st and st["numberUnavailable"] == 2
    c.cluster.advance(5 * S)
    st = ds_status(c)
    assert st["numberAvailable"] == 2 and "numberUnavailable" not in st


# --- claims, failures -----------------------------------------------------------------------------


def test_orphan_pod_is_adopted_and_a_relabelled_pod_released():
    c = boot()
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mine", "labels": {"app": "filebeat"}},
              "spec": {"nodeName": "node1", "containers": [{"name": "logs", "image": "nginx"}]}}
    must(c.create(orphan))
    mark = c.cluster.head().seq
    ds = must(c.create(daemonset()))
    adopt = [e for e in entries(c, mark, DS_USER) if e.request.verb == "patch"]
    assert [(e.request.resource, e.request.name) for e in adopt] == [("pods", "mine")]
    assert adopt[0].request.body["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
    # adopted, it is the pod of node1; without the hash label it is out of date and, not yet
    # available, replaced by the rolling update at once
    deleted = [e.request.name for e in entries(c, mark, DS_USER) if e.request.verb == "delete"]
    assert deleted == ["mine"]
    c.cluster.advance(2 * S)
    assert sorted(placement(c)) == ["node1", "node2"] and ds_status(c)["updatedNumberScheduled"] == 2
    must(c.patch("pods", placement(c)["node2"], {"metadata": {"labels": {"app": "other"}}}, patch_type="merge"))
    released = [p for p in must(c.list("pods"))["items"] if p["metadata"]["labels"].get("app") == "other"]
    assert len(released) == 1 and "ownerReferences" not in released[0]["metadata"]
    c.cluster.advance(2 * S)
    assert sorted(placement(c)) == ["node1", "node2"]


def test_failed_pod_is_deleted_and_replaced_with_back_off():
    c = boot(workers=1)
    must(c.create(daemonset()))
    c.cluster.advance(2 * S)

    def fail(name):
        pod = must(c.get("pods", name))
        who = node_identity("node1")
        status = {**copy.deepcopy(pod["status"]), "phase": "Failed"}
        must(c.cluster.submit(Request(verb="update", resource="pods", namespace="default", name=name, subresource="status",
                                      body={**pod, "status": status}, user=who.name, groups=who.groups)))

    first = placement(c)["node1"]
    fail(first)
    second = placement(c)["node1"]
    assert second != first
    assert events(c)[-3:] == [("FailedDaemonPod", f"Found failed daemon pod default/{first} on node node1, will try to kill it"),
                              ("SuccessfulDelete", f"Deleted pod: {first}"), ("SuccessfulCreate", f"Created pod: {second}")]
    c.cluster.advance(S // 2)
    fail(second)
    assert placement(c)["node1"] == second  # within the 1 s back-off
    c.cluster.advance(S // 2)
    third = placement(c)["node1"]
    assert third != second


def test_refused_creates_are_reported_and_retried():
    c = boot()
    with_quota(c, limit=1)
    must(c.create(daemonset()))
    assert len(pods(c)) == 1
    evs = events(c)
    assert evs[0][0] == "SuccessfulCreate" and evs[1][0] == "FailedCreate"
    assert evs[1][1].startswith("Error creating: pods ") and "exceeded quota" in evs[1][1]
    c.cluster.path.admission.pop()
    c.cluster.advance(2 * S)
    assert sorted(placement(c)) == ["node1", "node2"]


# --- determinism ----------------------------------------------------------------------------------


def _run_once() -> list[str]:
    c = boot()
    must(c.create(daemonset()))
    c.cluster.advance(3 * S)
    tolerate_control_plane(c)
    c.cluster.advance(5 * S)
    add_node(c, "node3", 3)
    must(c.delete("nodes", "node1", ""))
    c.cluster.advance(45 * S)
    with c.cluster.view() as v:
        return list(export_lines(v.txn))


def test_same_commands_same_log():
    assert _run_once() == _run_once()


@pytest.mark.parametrize("key", [b"nodes", b"orphan\x01\x00pods\x00default\x00nope"])
def test_keys_without_work_do_nothing(key):
    c = boot()
    with c.cluster.view() as v:
        assert DaemonSetController().decide(v, key).requests == ()
