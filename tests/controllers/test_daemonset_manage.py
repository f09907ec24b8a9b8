"""podsShouldBeOnNode, the failed-pod back-off, rollingUpdate, status counts and the revision history,
as pure functions on hand-built objects (upstream daemon_controller_test.go / update_test.go shapes)."""

from engine.clock import parse_time, rfc3339
from engine.controllers.daemonset import history, manage, status, update
from engine.controllers.daemonset.manage import Backoff, backoff_state, pods_should_be_on_node
from engine.controllers.daemonset.predicates import node_should_run
from engine.controllers.daemonset.util import CONTROLLER_REVISION_HASH
from engine.pipeline.identity import controller_identity

T0 = parse_time("2026-01-01T00:00:00Z")
S = 1_000_000
WHO = controller_identity("daemon-set-controller")


def ds(strategy=None, min_ready=0, limit=None, collision=None):
    spec = {"selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            "updateStrategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    if limit is not None:
        spec["revisionHistoryLimit"] = limit
    st = {"collisionCount": collision} if collision is not None else {}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "d", "namespace": "default", "uid": "ds-uid", "generation": 1, "resourceVersion": "5",
                         "creationTimestamp": rfc3339(T0), "annotations": {"a": "b"}},
            "spec": spec, "status": st}


def node(name, taints=None):
    return {"metadata": {"name": name}, "spec": {"taints": taints} if taints else {},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}


def pod(name, node_name, hash_="new", created=T0, phase="Running", ready=True, ready_since=T0, deleting=False,
        scheduled=True):
    spec = {"nodeName": node_name} if scheduled else {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}}}}
    meta = {"name": name, "namespace": "default", "uid": f"{name}-uid", "creationTimestamp": rfc3339(created),
            "labels": {"app": "d", CONTROLLER_REVISION_HASH: hash_}}
    if deleting:
        meta["deletionTimestamp"] = rfc3339(created)
    conds = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": rfc3339(ready_since)}]
    return {"metadata": meta, "spec": spec, "status": {"phase": phase, "conditions": conds}}


def no_backoff(_node):
    return Backoff()


def plan(n, pods, d=None, now=T0 + 100 * S, backoff=no_backoff):
    return pods_should_be_on_node(n, manage.nodes_to_daemon_pods(pods), d or ds(), "new", now, backoff)


# --- podsShouldBeOnNode -------------------------------------------------------------------------------


def test_node_without_pod_gets_one():
    assert plan(node("n1"), []).create


def test_two_pods_on_a_node_keep_the_oldest():
    p1 = pod("a", "n1", created=T0)
    p2 = pod("b", "n1", created=T0 + S)
    out = plan(node("n1"), [p2, p1])
    assert not out.create and [p["metadata"]["name"] for p in out.delete] == ["b"]


def test_scheduled_pod_is_older_than_any_unscheduled_one():
    p1 = pod("a", "n1", created=T0 + 5 * S)
    p2 = pod("b", "n1", created=T0, scheduled=False)
    assert [p["metadata"]["name"] for p in plan(node("n1"), [p1, p2]).delete] == ["b"]


def test_failed_pod_is_deleted_with_a_warning():
    out = plan(node("n1"), [pod("a", "n1", phase="Failed")])
    assert [p["metadata"]["name"] for p in out.delete] == ["a"]
    assert out.events == (("Warning", "FailedDaemonPod", "Found failed daemon pod default/a on node n1, will try to kill it"),)
    assert not out.create  # recreated on the next sync, once the failed pod is gone


def test_failed_pod_in_backoff_waits():
    out = plan(node("n1"), [pod("a", "n1", phase="Failed")], backoff=lambda n: Backoff(True, T0 + 7 * S))
    assert out.delete == () and out.requeue_at == T0 + 7 * S


def test_succeeded_pod_is_deleted_with_a_normal_event():
    out = plan(node("n1"), [pod("a", "n1", phase="Succeeded")])
    assert out.events == (
        ("Normal", "SucceededDaemonPod", "Found succeeded daemon pod default/a on node n1, will try to delete it"),)


def test_pod_being_deleted_blocks_a_new_one():
    out = plan(node("n1"), [pod("a", "n1", deleting=True)])
    assert not out.create and out.delete == ()


def test_untolerated_no_execute_deletes_the_pods():
    n = node("n1", taints=[{"key": "x", "effect": "NoExecute"}])
    out = plan(n, [pod("a", "n1"), pod("b", "n1", deleting=True)])
    assert [p["metadata"]["name"] for p in out.delete] == ["a"]


def test_untolerated_no_schedule_keeps_the_pod_but_creates_none():
    n = node("n1", taints=[{"key": "x", "effect": "NoSchedule"}])
    assert plan(n, [pod("a", "n1")]) == manage.NodePlan()
    assert plan(n, []) == manage.NodePlan()


SURGE = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def test_surge_keeps_old_ready_pod_until_the_new_one_is_available():
    d = ds(strategy=SURGE, min_ready=10)
    old = pod("old", "n1", hash_="old", created=T0)
    new = pod("new", "n1", hash_="new", created=T0 + S, ready_since=T0 + 95 * S)
    assert plan(node("n1"), [old, new], d).delete == ()  # new ready 5 s, not available
    out = plan(node("n1"), [old, new], d, now=T0 + 106 * S)
    assert [p["metadata"]["name"] for p in out.delete] == ["old"]


def test_surge_replaces_an_unready_old_pod_at_once_and_prunes_extras():
    d = ds(strategy=SURGE)
    old = pod("old", "n1", hash_="old", ready=False)
    new = pod("new", "n1", hash_="new", created=T0 + S, ready=False)
    extra = pod("new2", "n1", hash_="new", created=T0 + 2 * S)
    out = plan(node("n1"), [old, new, extra], d)
    assert sorted(p["metadata"]["name"] for p in out.delete) == ["new2", "old"]


def test_surge_with_no_pod_left_creates_one():
    assert plan(node("n1"), [pod("a", "n1", phase="Failed")], ds(strategy=SURGE)).create


def test_unscheduled_pods_for_missing_nodes():
    ntp = manage.nodes_to_daemon_pods([pod("a", "gone", scheduled=False), pod("b", "gone"), pod("c", "n1", scheduled=False)])
    assert [p["metadata"]["name"] for p in manage.unscheduled_pods_without_node({"n1"}, ntp)] == ["a"]


def test_deleted_terminal_pods_are_left_out_unless_asked():
    p = pod("a", "n1", phase="Failed", deleting=True)
    assert manage.nodes_to_daemon_pods([p]) == {}
    assert manage.nodes_to_daemon_pods([p], include_deleted_terminal=True) == {"n1": [p]}


def test_daemon_pod_shape():
    p = manage.daemon_pod(ds(), "n3", "h", 2)
    assert p["metadata"]["generateName"] == "d-"
    assert p["metadata"]["labels"] == {"app": "d", "pod-template-generation": "2", CONTROLLER_REVISION_HASH: "h"}
    assert p["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "d",
                                                 "uid": "ds-uid", "controller": True, "blockOwnerDeletion": True}]
    assert "nodeName" not in p["spec"]
    assert p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n3"]}]}]}


# --- back-off -------------------------------------------------------------------------------------


def test_backoff_doubles_and_resets():
    assert backoff_state([], T0) == Backoff()
    assert backoff_state([T0], T0 + S // 2) == Backoff(True, T0 + S)
    assert backoff_state([T0], T0 + S) == Backoff()
    # second failure 1.5 s later: 2 s window
    assert backoff_state([T0, T0 + 3 * S // 2], T0 + 3 * S) == Backoff(True, T0 + 7 * S // 2)
    # capped at 15 min
    times = [T0 + i * 1000 * S for i in range(12)]
    assert backoff_state(times, times[-1] + S) == Backoff(True, times[-1] + 900 * S)
    # more than 30 min since the last failure: expired, and the next one starts at 1 s again
    assert backoff_state(times, times[-1] + 1801 * S) == Backoff()
    assert backoff_state(times + [times[-1] + 1801 * S], times[-1] + 1801 * S) == Backoff(True, times[-1] + 1802 * S)


# --- rollingUpdate --------------------------------------------------------------------------------


def rolling(d, nodes, pods, now=T0 + 100 * S):
    return update.rolling_update(d, nodes, manage.nodes_to_daemon_pods(pods), "new", now, lambda n: node_should_run(n, d))


def names(pods):
    return [p["metadata"]["name"] for p in pods]


def test_rolling_update_deletes_within_max_unavailable():
    nodes = [node(f"n{i}") for i in range(1, 5)]
    old = [pod(f"p{i}", f"n{i}", hash_="old") for i in range(1, 5)]
    assert names(rolling(ds(), nodes, old).delete) == ["p1"]
    two = ds(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}})
    assert names(rolling(two, nodes, old).delete) == ["p1", "p2"]


def test_rolling_update_counts_empty_and_unavailable_nodes():
    nodes = [node(f"n{i}") for i in range(1, 4)]
    pods = [pod("p2", "n2", hash_="old"), pod("p3", "n3", hash_="old")]  # n1 has no pod: unavailable
    assert rolling(ds(), nodes, pods).delete == ()
    # an unavailable old pod is replaced regardless of the budget
    pods = [pod("p1", "n1", hash_="new", ready=False), pod("p2", "n2", hash_="old", ready=False), pod("p3", "n3", hash_="old")]
    assert names(rolling(ds(), nodes, pods).delete) == ["p2"]


def test_rolling_update_with_both_zero_defaults_to_one_unavailable():
    d = ds(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}})
    nodes = [node("n1"), node("n2")]
    assert names(rolling(d, nodes, [pod("a", "n1", hash_="old"), pod("b", "n2", hash_="old")]).delete) == ["a"]


def test_rolling_update_with_surge_creates_next_to_old_pods():
    d = ds(strategy=SURGE)
    nodes = [node("n1"), node("n2"), node("n3")]
    olds = [pod("a", "n1", hash_="old"), pod("b", "n2", hash_="old"), pod("c", "n3", hash_="old")]
    out = rolling(d, nodes, olds)
    assert out.create == ("n1",) and out.delete == ()
    # once the new pod on n1 is available the old one goes, and the next node is surged
    new = pod("a2", "n1", hash_="new", created=T0 + 50 * S, ready_since=T0 + 60 * S)
    out = rolling(d, nodes, olds + [new])
    assert names(out.delete) == ["a"] and out.create == ("n2",)
    # an unavailable old pod gets its replacement at once, outside the surge budget
    sick = [pod("a", "n1", hash_="old", ready=False), pod("b", "n2", hash_="old"), pod("c", "n3", hash_="old")]
    assert rolling(d, nodes, sick).create == ("n1", "n2")


def test_on_delete_is_not_rolled():
    d = ds(strategy={"type": "OnDelete"})
    assert update.updated_desired_node_counts(d, [node("n1")], {}, lambda n: (True, True)) == update.Counts(0, 1, 1)


# --- status -----------------------------------------------------------------------------------------


def test_status_counts():
    d = ds(min_ready=10)
    nodes = [node("n1"), node("n2"), node("n3", taints=[{"key": "x", "effect": "NoSchedule"}]), node("n4")]
    pods = [pod("a", "n1", ready_since=T0), pod("b", "n2", hash_="new", ready_since=T0 + 95 * S),
            pod("c", "n3"), pod("older", "n1", hash_="old", created=T0 - S, ready=False)]
    values = status.counts(d, nodes, manage.nodes_to_daemon_pods(pods), "new", T0 + 100 * S, lambda n: node_should_run(n, d))
    assert values == {"desiredNumberScheduled": 3, "currentNumberScheduled": 2, "numberMisscheduled": 1,
                      "numberReady": 1, "numberAvailable": 0, "updatedNumberScheduled": 1, "numberUnavailable": 3}
    # n1's oldest pod is the unready old one; n2's is up to date but ready for 5 s only
    st = status.new_status(d, values)
    assert st == {"currentNumberScheduled": 2, "numberMisscheduled": 1, "desiredNumberScheduled": 3, "numberReady": 1,
                  "observedGeneration": 1, "updatedNumberScheduled": 1, "numberUnavailable": 3}
    assert not status.unchanged(d, values)
    assert status.unchanged({**d, "status": st}, values)


def test_zero_counts_keep_the_required_fields():
    d = ds()
    values = status.counts(d, [], {}, "new", T0, lambda n: (True, True))
    assert status.new_status(d, values) == {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                                            "desiredNumberScheduled": 0, "numberReady": 0, "observedGeneration": 1}
    assert not status.unchanged(d, values)  # {} lacks the required fields


# --- history ----------------------------------------------------------------------------------------


def revision(d, number, name=None, data=None, labels=None):
    snap = history.snapshot(d, number)
    if name:
        snap["metadata"]["name"] = name
        snap["metadata"]["labels"][CONTROLLER_REVISION_HASH] = name.rsplit("-", 1)[-1]
    if data is not None:
        snap["data"] = data
    if labels is not None:
        snap["metadata"]["labels"] = labels
    snap["metadata"].update({"uid": f"{snap['metadata']['name']}-uid", "resourceVersion": "1"})
    return snap


def test_snapshot_shape():
    d = ds()
    snap = history.snapshot(d, 3)
    h = history.template_hash(d)
    assert snap["metadata"]["name"] == f"d-{h}" and snap["revision"] == 3
    assert snap["metadata"]["labels"] == {"app": "d", CONTROLLER_REVISION_HASH: h}
    assert snap["metadata"]["annotations"] == {"a": "b"}
    assert snap["data"] == {"spec": {"template": {**d["spec"]["template"], "$patch": "replace"}}}
    assert history.template_hash(ds(collision=1)) != h


def test_construct_creates_the_first_revision():
    d = ds()
    out = history.construct(WHO, d, [], lambda n: None, [])
    (req,) = out.requests
    assert req.verb == "create" and req.resource == "controllerrevisions" and req.body["revision"] == 1


def test_construct_bumps_collision_count_when_the_name_is_taken():
    d = ds()
    other = revision(d, 1, data={"spec": {"template": {"$patch": "replace"}}})
    (req,) = history.construct(WHO, d, [], lambda n: other, []).requests
    assert req.subresource == "status" and req.body["status"]["collisionCount"] == 1


def test_construct_renumbers_a_rolled_back_revision():
    d = ds()
    cur = revision(d, 1)
    newer = revision(d, 2, name="d-other", data={"spec": {"template": {"$patch": "replace"}}})
    (req,) = history.construct(WHO, d, [cur, newer], lambda n: None, []).requests
    assert req.verb == "update" and req.body["revision"] == 3 and req.name == cur["metadata"]["name"]
    cur3 = {**cur, "revision": 3}
    out = history.construct(WHO, d, [cur3, newer], lambda n: None, [])
    assert out.requests == () and out.current is cur3 and out.old == (newer,)


def test_construct_labels_revisions_without_the_hash_label():
    d = ds()
    r = revision(d, 1, labels={"app": "d"})
    (req,) = history.construct(WHO, d, [r], lambda n: None, []).requests
    assert req.body["metadata"]["labels"][CONTROLLER_REVISION_HASH] == r["metadata"]["name"]


def test_construct_dedups_current_revisions_and_relabels_pods():
    d = ds()
    a = revision(d, 1)
    b = revision(d, 4, name="d-dup")
    p = pod("p", "n1", hash_=history.template_hash(d))
    reqs = history.construct(WHO, d, [a, b], lambda n: None, [p]).requests
    assert [(r.verb, r.resource, r.name) for r in reqs] == [
        ("patch", "pods", "p"), ("delete", "controllerrevisions", a["metadata"]["name"])]
    assert reqs[0].body == {"metadata": {"labels": {CONTROLLER_REVISION_HASH: "dup"}}}


def test_cleanup_keeps_the_limit_and_live_hashes():
    d = ds(limit=2)
    olds = [revision(d, i, name=f"d-r{i}", data={"spec": {"template": {"$patch": "replace", "n": i}}}) for i in (1, 2, 3, 4)]
    live = [pod("p", "n1", hash_="r1")]
    reqs = history.cleanup(WHO, d, olds, live)
    assert [r.name for r in reqs] == ["d-r2", "d-r3"]
    assert history.cleanup(WHO, ds(), olds, live) == ()
