"""Proportional scaling (TestScale, k8s-semantics.md 2.7) and whole decisions of the Deployment
controller: request shapes, events, status, claims, keys, pause, rollback, Recreate."""

import pytest

from engine.controllers.deployment import DeploymentController, deployment_key, orphan_key, pod_key
from engine.controllers.deployment.sync import scale
from engine.controllers.deployment.util import max_surge, set_replicas_annotations
from engine.records import Admitted, LogEntry, Request
from tests.controllers.test_deployment_builders import (NEW, OLD, OLDER, T0, FakeView, decide, deployment, events,
                                                        owned_rs, pod, rs, scaled_sizes, sync_ctx, writes)


def _annotate(r, old_d, desired=None):
    desired = old_d["spec"]["replicas"] if desired is None else desired
    set_replicas_annotations(r, desired, desired + max_surge(old_d))
    return r


def _updated_template(replicas):
    d = deployment(replicas=replicas)
    d["spec"]["template"]["metadata"]["labels"]["another"] = "label"
    return d


SCALE_CASES = [
    # name, deployment, old deployment, new RS, old RSs, expected new, expected old, desired overrides
    ("10 -> 12", deployment(replicas=12), deployment(replicas=10), ("foo-v1", 10, NEW), [], 12, [], {}),
    ("10 -> 5", deployment(replicas=5), deployment(replicas=10), ("foo-v1", 10, NEW), [], 5, [], {}),
    ("5 -> 10", deployment(replicas=10), deployment(replicas=5), ("foo-v2", 2, NEW), [("foo-v1", 3, OLD)], 4, [6], {}),
    ("5 -> 3", deployment(replicas=3), deployment(replicas=5), ("foo-v2", 2, NEW), [("foo-v1", 3, OLD)], 1, [2], {}),
    ("9 -> 4", deployment(replicas=4), deployment(replicas=9), ("foo-v2", 8, NEW), [("foo-v1", 1, OLD)], 4, [0], {}),
    ("7 -> 10", deployment(replicas=10), deployment(replicas=7), ("foo-v3", 2, NEW),
     [("foo-v2", 3, OLD), ("foo-v1", 2, OLDER)], 3, [4, 3], {}),
    ("13 -> 8", deployment(replicas=8), deployment(replicas=13), ("foo-v3", 2, NEW),
     [("foo-v2", 8, OLD), ("foo-v1", 3, OLDER)], 1, [5, 2], {}),
    ("leftover 3 -> 4", deployment(replicas=4), deployment(replicas=3), ("foo-v3", 1, NEW),
     [("foo-v2", 1, OLD), ("foo-v1", 1, OLDER)], 2, [1, 1], {}),
    ("leftover 3 -> 2", deployment(replicas=2), deployment(replicas=3), ("foo-v3", 1, NEW),
     [("foo-v2", 1, OLD), ("foo-v1", 1, OLDER)], 1, [1, 0], {}),
    ("no new rs 4 -> 5", deployment(replicas=5), deployment(replicas=4), None,
     [("foo-v2", 2, OLD), ("foo-v1", 2, OLDER)], None, [3, 2], {}),
    ("6 -> 0", deployment(replicas=0), deployment(replicas=6), ("foo-v3", 3, NEW),
     [("foo-v2", 2, OLD), ("foo-v1", 1, OLDER)], 0, [0, 0], {}),
    ("0 -> 6", deployment(replicas=6), deployment(replicas=6), ("foo-v3", 0, NEW),
     [("foo-v2", 0, OLD), ("foo-v1", 0, OLDER)], 6, [0, 0], {}),
    ("failed rs update", deployment(replicas=5), deployment(replicas=5), ("foo-v3", 2, NEW),
     [("foo-v2", 1, OLD), ("foo-v1", 1, OLDER)], 2, [2, 1], {"foo-v2": 3}),
    ("surge pods", deployment(replicas=20, max_surge=2), deployment(replicas=10, max_surge=2), ("foo-v2", 6, NEW),
     [("foo-v1", 6, OLD)], 11, [11], {}),
    ("surge and size", deployment(replicas=50, max_surge=6), deployment(replicas=10, max_surge=3), ("foo-v2", 5, NEW),
     [("foo-v1", 8, OLD)], 22, [34], {}),
    ("size and template", _updated_template(14), deployment(replicas=10), None,
     [("foo-v2", 7, NEW), ("foo-v1", 3, OLD)], None, [10, 4], {}),
]


@pytest.mark.parametrize("case", SCALE_CASES, ids=[c[0] for c in SCALE_CASES])
def test_scale(case):
    _, d, old_d, new_spec, old_specs, expected_new, expected_old, desired = case
    new_rs = _annotate(rs(*new_spec[:2], created=new_spec[2]), old_d, desired.get(new_spec[0])) if new_spec else None
    old_rss = [_annotate(rs(n, r, created=t), old_d, desired.get(n)) for n, r, t in old_specs]
    ctx = sync_ctx(d)
    scale(ctx, new_rs, old_rss)
    sizes = {r["metadata"]["name"]: r["spec"]["replicas"] for r in [new_rs, *old_rss] if r is not None}
    sizes.update(scaled_sizes(ctx.requests))
    if new_rs is not None:
        assert sizes[new_rs["metadata"]["name"]] == expected_new
    assert [sizes[r["metadata"]["name"]] for r in old_rss] == expected_old


def test_scale_leaves_a_saturated_but_broken_new_replica_set_alone():
    d = deployment(replicas=2, max_surge=1, max_unavailable=1)
    new_rs = _annotate(rs("foo-v2", 2, created=NEW, available=0), d)
    old_rs = _annotate(rs("foo-v1", 1, created=OLD), d)
    ctx = sync_ctx(d)
    scale(ctx, new_rs, [old_rs])
    assert scaled_sizes(ctx.requests) == {}


def test_scale_zero_to_six_touches_only_the_newest():
    d = deployment(replicas=6)
    new_rs = _annotate(rs("foo-v3", 0, created=NEW), d)
    olds = [_annotate(rs("foo-v2", 0, created=OLD), d), _annotate(rs("foo-v1", 0, created=OLDER), d)]
    ctx = sync_ctx(d)
    scale(ctx, new_rs, olds)
    assert [r.name for r in ctx.requests if r.resource == "replicasets"] == ["foo-v3"]
    assert events(ctx.requests) == [("Normal", "ScalingReplicaSet", "Scaled up replica set foo-v3 to 6 from 0")]


def test_scale_patch_carries_the_new_desired_and_max_annotations():
    d = deployment(replicas=12, max_surge="25%", max_unavailable="25%")
    r = _annotate(rs("foo-v1", 10, created=NEW), deployment(replicas=10, max_surge="25%", max_unavailable="25%"))
    ctx = sync_ctx(d)
    scale(ctx, r, [])
    (patch,) = [q for q in ctx.requests if q.resource == "replicasets"]
    assert patch.verb == "patch" and patch.params == {"patchType": "merge"}
    assert patch.body == {"metadata": {"annotations": {"deployment.kubernetes.io/desired-replicas": "12",
                                                       "deployment.kubernetes.io/max-replicas": "15"}},
                          "spec": {"replicas": 12}}
    assert patch.user == "system:serviceaccount:kube-system:deployment-controller"


# --- whole decisions -------------------------------------------------------------------------------


def test_a_new_deployment_gets_its_replica_set_revision_and_condition():
    d = deployment(name="web", replicas=3, max_surge="25%", max_unavailable="25%", pds=600,
                   annotations={"kubernetes.io/change-cause": "kubectl create"})
    decision = decide(d)
    create, event, patch, status = decision.requests
    body = create.body
    h = body["metadata"]["labels"]["pod-template-hash"]
    assert (create.verb, create.resource) == ("create", "replicasets") and body["metadata"]["name"] == f"web-{h}"
    assert body["metadata"]["labels"] == {"foo": "bar", "pod-template-hash": h}
    assert body["spec"]["selector"] == {"matchLabels": {"foo": "bar", "pod-template-hash": h}}
    assert body["spec"]["template"]["metadata"]["labels"] == {"foo": "bar", "pod-template-hash": h}
    assert body["spec"]["template"]["spec"] == d["spec"]["template"]["spec"]
    assert body["spec"]["replicas"] == 3
    assert body["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                    "uid": "d-uid", "controller": True, "blockOwnerDeletion": True}]
    assert body["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1",
                                               "deployment.kubernetes.io/desired-replicas": "3",
                                               "deployment.kubernetes.io/max-replicas": "4",
                                               "kubernetes.io/change-cause": "kubectl create"}
    assert (event.body["reason"], event.body["message"], event.body["source"]) == (
        "ScalingReplicaSet", f"Scaled up replica set web-{h} to 3", {"component": "deployment-controller"})
    assert event.body["involvedObject"]["kind"] == "Deployment"
    assert patch.body == {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"}, "resourceVersion": "1"}}
    assert status.subresource == "status" and "resourceVersion" not in status.body["metadata"]
    (cond,) = status.body["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "web-{h}"')


def test_a_replica_set_created_at_zero_records_no_event():
    d = deployment(replicas=0)
    assert events(decide(d).requests) == []


def test_the_next_pass_writes_status_and_a_converged_deployment_writes_nothing():
    d = deployment(replicas=2, max_surge=1, max_unavailable=0, pds=600,
                   annotations={"deployment.kubernetes.io/revision": "1"})
    new = owned_rs(d, "foo-abc", 2, revision=1, annotations={"deployment.kubernetes.io/desired-replicas": "2",
                                                               "deployment.kubernetes.io/max-replicas": "3"})
    (found,) = decide(d, [new]).requests  # no Progressing condition yet: FoundNewReplicaSet first
    assert found.body["status"]["conditions"][0]["reason"] == "FoundNewReplicaSet"
    d["status"] = found.body["status"]
    (status,) = decide(d, [new]).requests
    s = status.body["status"]
    assert {k: s[k] for k in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas")} == {
        "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}
    assert "unavailableReplicas" not in s
    conds = {c["type"]: (c["status"], c["reason"]) for c in s["conditions"]}
    assert conds == {"Available": ("True", "MinimumReplicasAvailable"), "Progressing": ("True", "NewReplicaSetAvailable")}
    d["status"] = s
    again = decide(d, [new])
    assert again.requests == () and again.requeue_at is None


def test_found_new_replica_set_condition_when_none_was_recorded():
    d = deployment(replicas=1, pds=600)
    new = owned_rs(d, "foo-abc", 1, revision=4, annotations={"deployment.kubernetes.io/desired-replicas": "1",
                                                               "deployment.kubernetes.io/max-replicas": "1"})
    patch, status = decide(d, [new]).requests
    assert patch.body["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "4"}
    assert status.body["status"]["conditions"][0]["reason"] == "FoundNewReplicaSet"
    assert status.body["status"]["conditions"][0]["message"] == 'Found new replica set "foo-abc"'


def test_existing_new_replica_set_is_updated_with_copied_annotations_and_min_ready_seconds():
    d = deployment(replicas=1, annotations={"kubernetes.io/change-cause": "v2"}, min_ready_seconds=5)
    new = owned_rs(d, "foo-abc", 1, revision=1)
    (update,) = decide(d, [new]).requests
    assert (update.verb, update.resource, update.name) == ("update", "replicasets", "foo-abc")
    assert update.body["metadata"]["annotations"]["kubernetes.io/change-cause"] == "v2"
    assert update.body["spec"]["minReadySeconds"] == 5 and update.body["metadata"]["resourceVersion"] == "1"


def test_template_change_creates_a_new_replica_set_at_zero_when_surge_is_used_up():
    d = deployment(replicas=10, max_surge=3, max_unavailable=2, image="v2",
                   annotations={"deployment.kubernetes.io/revision": "2"})
    old1 = owned_rs(d, "foo-one", 8, created=OLDER, revision=1, image="v1")
    old2 = owned_rs(d, "foo-two", 5, created=OLD, revision=2, image="v1.5", available=0)
    create = decide(d, [old1, old2]).requests[0]
    assert create.body["spec"]["replicas"] == 0
    assert create.body["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    # rollover: the previous new RS is old now, and its unavailable pods go first
    new = owned_rs(d, create.body["metadata"]["name"], 0, revision=3, available=0,
                   annotations={"deployment.kubernetes.io/desired-replicas": "10", "deployment.kubernetes.io/max-replicas": "13"})
    for r in (old1, old2):
        r["metadata"]["annotations"].update(new["metadata"]["annotations"])
        r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1" if r is old1 else "2"
    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    decision = decide(d, [old1, old2, new])
    assert scaled_sizes(decision.requests) == {"foo-two": 0}


def test_rollback_to_an_older_template_reuses_its_replica_set():
    d = deployment(replicas=2, image="v1", annotations={"deployment.kubernetes.io/revision": "2"})
    rs1 = owned_rs(d, "foo-one", 0, created=OLDER, revision=1)
    rs2 = owned_rs(d, "foo-two", 2, created=OLD, revision=2, image="v2")
    (update,) = decide(d, [rs1, rs2]).requests
    ann = update.body["metadata"]["annotations"]
    assert update.name == "foo-one" and ann["deployment.kubernetes.io/revision"] == "3"
    assert ann["deployment.kubernetes.io/revision-history"] == "1"


def test_scaling_event_wins_over_the_rollout():
    d = deployment(replicas=4, max_surge=1, max_unavailable=0, image="v2",
                   annotations={"deployment.kubernetes.io/revision": "2"})
    ann = {"deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/max-replicas": "3"}
    old = owned_rs(d, "foo-one", 1, created=OLDER, revision=1, image="v1", annotations=ann)
    new = owned_rs(d, "foo-two", 2, created=OLD, revision=2, annotations=ann)
    decision = decide(d, [old, new])
    assert scaled_sizes(decision.requests) == {"foo-two": 3, "foo-one": 2}
    assert all(r.body["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "4"
               for r in decision.requests if r.resource == "replicasets")


def test_paused_deployment_gets_the_paused_condition_first_and_no_new_replica_set():
    d = deployment(replicas=2, pds=600, paused=True, image="v2", annotations={"deployment.kubernetes.io/revision": "1"})
    ann = {"deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/max-replicas": "2"}
    old = owned_rs(d, "foo-one", 2, revision=1, image="v1", annotations=ann)
    (status,) = decide(d, [old]).requests
    (cond,) = status.body["status"]["conditions"]
    assert (cond["status"], cond["reason"], cond["message"]) == ("Unknown", "DeploymentPaused", "Deployment is paused")
    d["status"] = status.body["status"]
    decision = decide(d, [old])
    assert [w[:2] for w in writes(decision.requests)] == [("update", "deployments")]  # status only, no create
    d["spec"].pop("paused")
    d["status"] = decision.requests[0].body["status"]
    (status,) = decide(d, [old]).requests
    assert [c["reason"] for c in status.body["status"]["conditions"] if c["type"] == "Progressing"] == ["DeploymentResumed"]


def test_paused_deployment_cleans_up_old_replica_sets():
    d = deployment(replicas=1, paused=True, revision_history_limit=0, annotations={"deployment.kubernetes.io/revision": "2"})
    ann = {"deployment.kubernetes.io/desired-replicas": "1", "deployment.kubernetes.io/max-replicas": "1"}
    old = owned_rs(d, "foo-one", 0, created=OLDER, revision=1, image="v0", annotations=ann)
    new = owned_rs(d, "foo-two", 1, created=OLD, revision=2, annotations=ann)
    assert writes(decide(d, [old, new]).requests) == [("delete", "replicasets", "", "foo-one")]


@pytest.mark.parametrize("to,expected_events,template_changes", [
    ("0", [("Normal", "DeploymentRollback", 'Rolled back deployment "foo" to revision 1')], True),
    ("1", [("Normal", "DeploymentRollback", 'Rolled back deployment "foo" to revision 1')], True),
    ("2", [("Warning", "DeploymentRollbackTemplateUnchanged",
            'The rollback revision contains the same template as current deployment "foo"')], False),
    ("7", [("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.")], False),
])
def test_rollback_annotation(to, expected_events, template_changes):
    d = deployment(replicas=1, image="v2", annotations={"deployment.kubernetes.io/revision": "2",
                                                       "deprecated.deployment.rollback.to": to,
                                                       "kubernetes.io/change-cause": "set image v2"})
    ann = {"deployment.kubernetes.io/desired-replicas": "1", "deployment.kubernetes.io/max-replicas": "1"}
    old = owned_rs(d, "foo-one", 0, created=OLDER, revision=1, image="v1",
                   annotations={**ann, "kubernetes.io/change-cause": "create v1"})
    new = owned_rs(d, "foo-two", 1, created=OLD, revision=2, annotations={**ann, "kubernetes.io/change-cause": "set image v2"})
    decision = decide(d, [old, new])
    assert events(decision.requests) == expected_events
    (update,) = [r for r in decision.requests if r.resource == "deployments"]
    assert update.verb == "update" and not update.subresource
    meta_ann = update.body["metadata"]["annotations"]
    assert "deprecated.deployment.rollback.to" not in meta_ann
    image = update.body["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == ("v1" if template_changes else "v2")
    if template_changes:
        assert meta_ann["kubernetes.io/change-cause"] == "create v1"
        assert "pod-template-hash" not in update.body["spec"]["template"]["metadata"]["labels"]


def test_rollback_without_history():
    d = deployment(replicas=1, annotations={"deployment.kubernetes.io/revision": "1", "deprecated.deployment.rollback.to": "0"})
    new = owned_rs(d, "foo-one", 1, revision=1, annotations={"deployment.kubernetes.io/desired-replicas": "1",
                                                               "deployment.kubernetes.io/max-replicas": "1"})
    decision = decide(d, [new])
    assert events(decision.requests) == [("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find last revision.")]


def test_owned_replica_set_that_no_longer_matches_is_released():
    d = deployment(replicas=1)
    stray = rs("foo-stray", 1, {"foo": "other"}, owner=d)
    decision = decide(d, [stray])
    (release,) = decision.requests
    assert release.body == {"metadata": {"ownerReferences": None}} and decision.again


def test_orphan_with_the_new_replica_set_name_is_adopted_not_a_collision():
    d = deployment(replicas=1)
    first = decide(d).requests[0].body
    orphan = rs(first["metadata"]["name"], 1, first["metadata"]["labels"], template=first["spec"]["template"])
    (adopt,) = decide(d, [orphan]).requests
    assert adopt.verb == "patch" and adopt.body["metadata"]["ownerReferences"][0]["uid"] == "d-uid"


def test_hash_collision_bumps_collision_count():
    d = deployment(replicas=1)
    name = decide(d).requests[0].body["metadata"]["name"]
    other = deployment(name="other", uid="other-uid")
    squatter = rs(name, 1, {"foo": "bar"}, owner=other)
    (status,) = decide(d, [squatter]).requests
    assert status.subresource == "status" and status.body["status"]["collisionCount"] == 1
    d["status"] = status.body["status"]
    create = decide(d, [squatter]).requests[0]
    assert create.verb == "create" and create.body["metadata"]["name"] != name


def test_orphan_key_adopts_into_the_oldest_matching_deployment():
    a = deployment(name="a", uid="a-uid")
    b = deployment(name="b", uid="b-uid")
    b["metadata"]["creationTimestamp"] = "2017-01-01T00:00:00Z"
    orphan = rs("loose", 1, {"foo": "bar"})
    owned = rs("kept", 1, {"foo": "bar"}, owner=b)
    decision = DeploymentController().decide(FakeView([a, b, orphan, owned]), orphan_key("default"))
    (adopt,) = decision.requests
    assert adopt.name == "loose" and adopt.body["metadata"]["ownerReferences"][0]["name"] == "a"


def test_progress_deadline_requeue_and_timeout():
    d = deployment(replicas=1, pds=60, image="v2", max_surge=1, max_unavailable=0,
                   annotations={"deployment.kubernetes.io/revision": "2"})
    ann = {"deployment.kubernetes.io/desired-replicas": "1", "deployment.kubernetes.io/max-replicas": "2"}
    old = owned_rs(d, "foo-one", 1, created=OLDER, revision=1, image="v1", annotations=ann)
    new = owned_rs(d, "foo-two", 1, created=OLD, revision=2, available=0, annotations=ann)
    d["status"] = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                   "unavailableReplicas": 1,
                   "conditions": [
                       {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                        "message": "Deployment has minimum availability.", "lastUpdateTime": "2016-05-20T00:00:00Z",
                        "lastTransitionTime": "2016-05-20T00:00:00Z"},
                       {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                        "message": 'ReplicaSet "foo-two" is progressing.', "lastUpdateTime": "2016-05-20T00:00:00Z",
                        "lastTransitionTime": "2016-05-20T00:00:00Z"}]}
    waiting = decide(d, [old, new], now=T0 + 10_000_000)
    assert waiting.requests == () and waiting.requeue_at == T0 + 61_000_000
    (status,) = decide(d, [old, new], now=T0 + 61_000_000).requests
    cond = [c for c in status.body["status"]["conditions"] if c["type"] == "Progressing"][0]
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "ProgressDeadlineExceeded",
                                                                 'ReplicaSet "foo-two" has timed out progressing.')


def test_replica_failure_is_copied_from_the_new_replica_set():
    d = deployment(replicas=1, annotations={"deployment.kubernetes.io/revision": "1"})
    new = owned_rs(d, "foo-one", 1, revision=1, available=0, annotations={
        "deployment.kubernetes.io/desired-replicas": "1", "deployment.kubernetes.io/max-replicas": "1"})
    new["status"]["conditions"] = [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                    "message": 'pods "x" is forbidden: exceeded quota', "lastTransitionTime": "2016-05-20T00:00:00Z"}]
    (status,) = decide(d, [new]).requests
    failure = [c for c in status.body["status"]["conditions"] if c["type"] == "ReplicaFailure"][0]
    assert (failure["reason"], failure["lastUpdateTime"]) == ("FailedCreate", "2016-05-20T00:00:00Z")


def test_recreate_scales_old_down_then_waits_for_old_pods():
    d = deployment(replicas=2, strategy="Recreate", image="v2", annotations={"deployment.kubernetes.io/revision": "1"})
    ann = {"deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/max-replicas": "2"}
    old = owned_rs(d, "foo-one", 2, revision=1, image="v1", annotations=ann)
    assert scaled_sizes(decide(d, [old]).requests) == {"foo-one": 0}
    old["spec"]["replicas"] = 0
    old["status"].update(replicas=0, availableReplicas=0, readyReplicas=0)
    running = pod("foo-one-x", old, "Running")
    decision = decide(d, [old, running])
    assert [w[:2] for w in writes(decision.requests)] == [("update", "deployments")]  # status only
    running["status"]["phase"] = "Succeeded"
    create = decide(d, [old, running]).requests[0]
    assert create.verb == "create" and create.body["spec"]["replicas"] == 2


# --- keys --------------------------------------------------------------------------------------------


def _entry(verb, resource, group="apps", subresource="", digest="x"):
    return LogEntry(1, T0, Request(verb=verb, group=group, resource=resource, namespace="default", subresource=subresource),
                    Admitted(200, {}, digest))


def test_keys_for():
    ctl = DeploymentController()
    d = deployment()
    assert list(ctl.keys_for(_entry("create", "deployments"), d)) == [orphan_key("default"), deployment_key("default", "foo")]
    assert list(ctl.keys_for(_entry("update", "deployments", subresource="status"), d)) == [deployment_key("default", "foo")]
    owned = rs("foo-1", 1, {"foo": "bar"}, owner=d)
    assert list(ctl.keys_for(_entry("update", "replicasets", subresource="status"), owned)) == [deployment_key("default", "foo")]
    orphan = rs("loose", 1, {"foo": "bar"})
    assert list(ctl.keys_for(_entry("create", "replicasets"), orphan)) == [orphan_key("default")]
    assert list(ctl.keys_for(_entry("update", "replicasets", subresource="status"), orphan)) == []
    p = pod("p", owned, "Running")
    assert list(ctl.keys_for(_entry("update", "pods", group="", subresource="status"), p)) == []
    assert list(ctl.keys_for(_entry("delete", "pods", group="", digest="deleted"), p)) == [pod_key("default", "foo-1")]
    p["status"]["phase"] = "Failed"
    assert list(ctl.keys_for(_entry("update", "pods", group="", subresource="status"), p)) == [pod_key("default", "foo-1")]


def test_pod_key_syncs_only_recreate_deployments():
    ctl = DeploymentController()
    rolling = deployment(replicas=1)
    owned = owned_rs(rolling, "foo-one", 1, revision=1)
    assert ctl.decide(FakeView([rolling, owned]), pod_key("default", "foo-one")).requests == ()
    recreate = deployment(replicas=1, strategy="Recreate")
    owned = owned_rs(recreate, "foo-one", 1, revision=1)
    assert ctl.decide(FakeView([recreate, owned]), pod_key("default", "foo-one")).requests != ()


def test_a_deleted_deployment_decides_nothing():
    assert DeploymentController().decide(FakeView([]), deployment_key("default", "gone")).requests == ()
