"""The StatefulSet controller step by step, with the test deciding when pods run and become ready:
the section 4 vectors (ordered and parallel creation, ordered scale-down waiting for termination,
failed pods replaced, ordinals.start, partitioned rolling updates), revisions, claims and their
retention policies, adoption, refusals, events and status."""

from engine.client import must
from tests.controllers.test_replicaset_support import with_quota
from tests.controllers.test_statefulset_support import (
    S, STS_USER, boot, claims, entries, live_pod_names, my_writes, pod_names, report, revision_of, run_pod, statefulset,
    status, sts_events, unhold,
)


def test_ordered_ready_creates_the_next_pod_only_when_the_last_is_running_and_ready():
    c = boot()
    must(c.create(statefulset(replicas=3)))
    assert pod_names(c) == ["web-0"]
    report(c, "web-0", phase="Pending", ready=False)
    assert pod_names(c) == ["web-0"]
    report(c, "web-0", phase="Running", ready=False)
    assert pod_names(c) == ["web-0"]
    run_pod(c, "web-0")
    assert pod_names(c) == ["web-0", "web-1"]
    run_pod(c, "web-1")
    assert pod_names(c) == ["web-0", "web-1", "web-2"]
    run_pod(c, "web-2")
    st = status(c)
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"], st["currentReplicas"], st["updatedReplicas"]) == \
        (3, 3, 3, 3, 3)
    assert st["currentRevision"] == st["updateRevision"] and st["observedGeneration"] == 1 and st["collisionCount"] == 0


def test_an_unready_predecessor_stops_creation():
    c = boot()
    must(c.create(statefulset(replicas=3)))
    run_pod(c, "web-0")
    run_pod(c, "web-1", ready=False)
    assert pod_names(c) == ["web-0", "web-1"]
    report(c, "web-0", ready=False)  # web-0 unready too: still nothing new
    run_pod(c, "web-1")
    assert pod_names(c) == ["web-0", "web-1"]
    run_pod(c, "web-0")
    assert pod_names(c) == ["web-0", "web-1", "web-2"]


def test_parallel_creates_every_pod_at_once():
    c = boot()
    must(c.create(statefulset(replicas=3, parallel=True)))
    assert pod_names(c) == ["web-0", "web-1", "web-2"]
    assert sorted(claims(c)) == ["www-web-0", "www-web-1", "www-web-2"]


def test_pods_carry_identity_and_their_claims_exist_before_them():
    c = boot()
    head = c.cluster.head().seq
    sts = must(c.create(statefulset(replicas=1)))
    pod = must(c.get("pods", "web-0"))
    meta, spec = pod["metadata"], pod["spec"]
    rev = status(c)["updateRevision"]
    assert meta["labels"] == {"app": "web", "controller-revision-hash": rev, "statefulset.kubernetes.io/pod-name": "web-0",
                              "apps.kubernetes.io/pod-index": "0"}
    assert meta["generateName"] == "web-" and meta["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
    assert (spec["hostname"], spec["subdomain"]) == ("web-0", "nginx")
    assert spec["volumes"] == [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]
    writes = my_writes(c, head)
    assert writes.index(("create", "persistentvolumeclaims", "www-web-0")) < writes.index(("create", "pods", "web-0"))
    claim = claims(c)["www-web-0"]
    assert claim["metadata"]["labels"] == {"app": "web"} and "ownerReferences" not in claim["metadata"]
    assert claim["status"]["phase"] == "Bound" and claim["spec"]["volumeName"] == f"pvc-{claim['metadata']['uid']}"


def test_events_use_upstream_texts():
    c = boot()
    must(c.create(statefulset(replicas=2)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    must(c.patch("sts", "web", {"spec": {"replicas": 1}}))
    assert sts_events(c) == [
        ("Normal", "SuccessfulCreate", "create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        ("Normal", "SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"),
        ("Normal", "SuccessfulCreate", "create Claim www-web-1 Pod web-1 in StatefulSet web success"),
        ("Normal", "SuccessfulCreate", "create Pod web-1 in StatefulSet web successful"),
        ("Normal", "SuccessfulDelete", "delete Pod web-1 in StatefulSet web successful"),
    ]
    ev = [e for e in must(c.list("events"))["items"] if e["involvedObject"]["kind"] == "StatefulSet"][0]
    assert ev["source"] == {"component": "statefulset-controller"} and ev["metadata"]["name"].startswith("web.")


def test_scale_down_goes_highest_ordinal_first_one_at_a_time_waiting_for_termination():
    c = boot()
    must(c.create(statefulset(replicas=3, finalizers=("example.com/hold",))))
    for n in ("web-0", "web-1", "web-2"):
        run_pod(c, n)
    must(c.patch("sts", "web", {"spec": {"replicas": 1}}))
    assert live_pod_names(c) == ["web-0", "web-1"]  # web-2 terminating; web-1 waits for it
    assert pod_names(c) == ["web-0", "web-1", "web-2"]
    c.cluster.advance(30 * S)
    assert live_pod_names(c) == ["web-0", "web-1"]
    unhold(c, "web-2")
    assert live_pod_names(c) == ["web-0"]
    unhold(c, "web-1")
    assert pod_names(c) == ["web-0"]
    assert sorted(claims(c)) == ["www-web-0", "www-web-1", "www-web-2"]  # Retain: claims stay
    st = status(c)
    assert (st["replicas"], st["readyReplicas"]) == (1, 1)


def test_scale_down_halts_while_a_remaining_pod_is_unhealthy():
    c = boot()
    must(c.create(statefulset(replicas=3)))
    for n in ("web-0", "web-1", "web-2"):
        run_pod(c, n)
    report(c, "web-0", ready=False)
    must(c.patch("sts", "web", {"spec": {"replicas": 1}}))
    assert pod_names(c) == ["web-0", "web-1", "web-2"]
    report(c, "web-0", ready=True)
    assert pod_names(c) == ["web-0"]


def test_an_unhealthy_condemned_pod_is_deleted_only_when_it_is_the_first_unhealthy():
    c = boot()
    must(c.create(statefulset(replicas=3)))
    for n in ("web-0", "web-1", "web-2"):
        run_pod(c, n)
    report(c, "web-2", ready=False)
    must(c.patch("sts", "web", {"spec": {"replicas": 2}}))
    assert pod_names(c) == ["web-0", "web-1"]  # web-2 was the first unhealthy pod


def test_a_failed_pod_is_replaced_under_the_same_name():
    for parallel in (False, True):
        c = boot()
        must(c.create(statefulset(replicas=2, parallel=parallel)))
        run_pod(c, "web-0")
        run_pod(c, "web-1")
        old_uid = must(c.get("pods", "web-1"))["metadata"]["uid"]
        report(c, "web-1", phase="Failed", ready=False)
        pod = must(c.get("pods", "web-1"))
        assert pod["metadata"]["uid"] != old_uid and pod["status"]["phase"] == "Pending"
        assert ("Normal", "SuccessfulDelete", "delete Pod web-1 in StatefulSet web successful") in sts_events(c)


def test_a_pod_deleted_by_hand_comes_back_with_the_same_name_and_claim():
    c = boot()
    must(c.create(statefulset(replicas=2)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    claim_uid = claims(c)["www-web-0"]["metadata"]["uid"]
    old = must(c.get("pods", "web-0"))["metadata"]["uid"]
    must(c.delete("pods", "web-0"))
    pod = must(c.get("pods", "web-0"))
    assert pod["metadata"]["uid"] != old
    assert pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "www-web-0"
    assert claims(c)["www-web-0"]["metadata"]["uid"] == claim_uid


def test_ordinals_start_numbers_pods_from_there():
    c = boot()
    must(c.create(statefulset(replicas=3, start=5, parallel=True)))
    assert pod_names(c) == ["web-5", "web-6", "web-7"]
    for n in pod_names(c):
        run_pod(c, n)
    must(c.patch("sts", "web", {"spec": {"replicas": 2}}))
    assert pod_names(c) == ["web-5", "web-6"]


def test_partitioned_rolling_update_goes_from_the_highest_ordinal_down_to_the_partition():
    c = boot()
    must(c.create(statefulset(replicas=5, partition=2)))
    for i in range(5):
        run_pod(c, f"web-{i}")
    old = status(c)["currentRevision"]
    head = c.cluster.head().seq
    must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}))
    new = status(c)["updateRevision"]
    assert new != old
    for i in (4, 3, 2):
        assert revision_of(c, f"web-{i}") == new
        run_pod(c, f"web-{i}")
    deletes = [n for v, r, n in my_writes(c, head) if (v, r) == ("delete", "pods")]
    assert deletes == ["web-4", "web-3", "web-2"]
    assert [revision_of(c, f"web-{i}") for i in range(5)] == [old, old, new, new, new]
    st = status(c)
    assert (st["updatedReplicas"], st["currentReplicas"], st["currentRevision"], st["updateRevision"]) == (3, 2, old, new)
    must(c.patch("sts", "web", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}))
    for i in (1, 0):
        run_pod(c, f"web-{i}")
    st = status(c)
    assert (st["updatedReplicas"], st["currentReplicas"], st["currentRevision"]) == (5, 5, new)


def test_the_rolling_update_waits_for_the_updated_pod_to_be_ready():
    c = boot()
    must(c.create(statefulset(replicas=3)))
    for i in range(3):
        run_pod(c, f"web-{i}")
    head = c.cluster.head().seq
    must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}))
    assert [n for v, r, n in my_writes(c, head) if v == "delete"] == ["web-2"]
    c.cluster.advance(60 * S)
    assert [n for v, r, n in my_writes(c, head) if v == "delete"] == ["web-2"]
    run_pod(c, "web-2")
    assert [n for v, r, n in my_writes(c, head) if v == "delete"] == ["web-2", "web-1"]


def test_on_delete_updates_a_pod_only_when_it_is_deleted():
    c = boot()
    must(c.create(statefulset(replicas=2, on_delete=True)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    old = revision_of(c, "web-0")
    head = c.cluster.head().seq
    must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}))
    assert not [w for w in my_writes(c, head) if w[0] == "delete"]
    must(c.delete("pods", "web-1"))
    assert revision_of(c, "web-1") == status(c)["updateRevision"] != old
    assert revision_of(c, "web-0") == old


def test_reverting_the_template_renumbers_the_old_revision():
    c = boot()
    must(c.create(statefulset(replicas=1)))
    run_pod(c, "web-0")
    first = status(c)["updateRevision"]
    must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}))
    run_pod(c, "web-0")
    second = status(c)["updateRevision"]
    must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.24"}]}}}}))
    run_pod(c, "web-0")
    revs = {r["metadata"]["name"]: r["revision"] for r in must(c.list("controllerrevisions"))["items"]}
    assert revs == {first: 3, second: 2}
    assert status(c)["updateRevision"] == status(c)["currentRevision"] == first


def test_history_beyond_the_limit_is_deleted_oldest_first():
    c = boot()
    must(c.create(statefulset(replicas=1, history_limit=1)))
    run_pod(c, "web-0")
    seen = [status(c)["updateRevision"]]
    for image in ("nginx:1.25", "nginx:1.26", "nginx:1.27"):
        must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}))
        run_pod(c, "web-0")
        seen.append(status(c)["updateRevision"])
    left = sorted(r["metadata"]["name"] for r in must(c.list("controllerrevisions"))["items"])
    assert left == sorted(seen[-2:])  # the live one and one more


def test_claims_are_kept_by_default_and_deleted_under_a_delete_policy():
    c = boot()
    must(c.create(statefulset(replicas=2, retention=("Retain", "Delete"))))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    assert all("ownerReferences" not in cl["metadata"] for cl in claims(c).values())
    pod_uid = must(c.get("pods", "web-1"))["metadata"]["uid"]
    head = c.cluster.head().seq
    must(c.patch("sts", "web", {"spec": {"replicas": 1}}))
    assert pod_names(c) == ["web-0"]
    assert sorted(claims(c)) == ["www-web-0"]  # web-1's claim went with web-1
    fix = [e for e in entries(c, head) if e.request.user == STS_USER and e.request.resource == "persistentvolumeclaims"][0]
    assert fix.request.verb == "update" and fix.request.name == "www-web-1"
    assert fix.request.body["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Pod", "name": "web-1",
                                                                 "uid": pod_uid, "controller": True, "blockOwnerDeletion": True}]
    must(c.patch("sts", "web", {"spec": {"replicas": 2}}))  # back up: a fresh claim for the new web-1
    assert pod_names(c) == ["web-0", "web-1"]
    assert claims(c)["www-web-1"]["metadata"]["uid"] != fix.request.body["metadata"]["uid"]
    assert "ownerReferences" not in claims(c)["www-web-1"]["metadata"]


def test_when_deleted_delete_gives_claims_to_the_set_and_they_go_with_it():
    c = boot()
    sts = must(c.create(statefulset(replicas=2, retention=("Delete", "Retain"))))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    for cl in claims(c).values():
        assert [r["uid"] for r in cl["metadata"]["ownerReferences"]] == [sts["metadata"]["uid"]]
    must(c.delete("sts", "web"))
    assert pod_names(c) == [] and claims(c) == {}


def test_deleting_the_set_keeps_claims_by_default():
    c = boot()
    must(c.create(statefulset(replicas=2)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    must(c.delete("sts", "web"))
    assert pod_names(c) == [] and sorted(claims(c)) == ["www-web-0", "www-web-1"]


def test_adopts_a_matching_orphan_and_releases_a_pod_that_stops_matching():
    c = boot()
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0", "labels": {"app": "web"}},
              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    must(c.create(orphan))
    sts = must(c.create(statefulset(replicas=1, claims=())))
    pod = must(c.get("pods", "web-0"))
    assert pod["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
    must(c.patch("pods", "web-0", {"metadata": {"labels": {"app": "other"}}}))
    assert "ownerReferences" not in must(c.get("pods", "web-0"))["metadata"]


def test_a_refused_create_is_reported_and_retried_later():
    c = boot()
    with_quota(c, limit=0)
    must(c.create(statefulset(replicas=1, claims=())))
    assert pod_names(c) == []
    msg = 'pods "web-0" is forbidden: exceeded quota: pods-quota, requested: pods=1, used: pods=0, limited: pods=0'
    assert sts_events(c) == [("Warning", "FailedCreate", f"create Pod web-0 in StatefulSet web failed error: {msg}")]
    start = c.cluster.head().at
    c.cluster.advance(20 * S)  # retried after 1, 2, 4, 8 s (the delay doubles)
    refused = [e.at - start for e in entries(c, 0) if e.request.user == STS_USER and e.request.resource == "pods"]
    assert refused == [0, 1 * S, 3 * S, 7 * S, 15 * S]
    c.cluster.path.admission.pop()
    c.cluster.advance(16 * S)
    assert pod_names(c) == ["web-0"]


def test_available_replicas_wait_for_min_ready_seconds_and_gate_the_next_pod():
    c = boot()
    must(c.create(statefulset(replicas=2, min_ready=10, claims=())))
    run_pod(c, "web-0")
    assert pod_names(c) == ["web-0"] and status(c)["availableReplicas"] == 0
    c.cluster.advance(11 * S)  # woken at ready + minReadySeconds + 1 s
    assert status(c)["availableReplicas"] == 1 and pod_names(c) == ["web-0", "web-1"]


def test_a_converged_set_writes_nothing():
    c = boot()
    must(c.create(statefulset(replicas=2)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    head = c.cluster.head().seq
    must(c.patch("sts", "web", {"metadata": {"labels": {"x": "y"}}}))
    c.cluster.advance(60 * S)
    assert my_writes(c, head) == []


def test_a_stale_claim_blocks_its_pod_until_the_garbage_collector_removes_it():
    c = boot()
    must(c.create(statefulset(replicas=2, retention=("Retain", "Delete"))))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    must(c.patch("pvc", "www-web-1", {"metadata": {"finalizers": ["example.com/hold"]}}, patch_type="merge"))
    must(c.patch("sts", "web", {"spec": {"replicas": 1}}))
    assert claims(c)["www-web-1"]["metadata"].get("deletionTimestamp")
    must(c.patch("sts", "web", {"spec": {"replicas": 2}}))
    assert pod_names(c) == ["web-0"]  # `PodClaimIsStale`: the claim still names the old web-1
    assert sts_events(c)[-1][1] == "SuccessfulDelete"  # no event while waiting
    must(c.patch("pvc", "www-web-1", {"metadata": {"finalizers": None}}, patch_type="merge"))
    assert pod_names(c) == ["web-0", "web-1"]  # the claim's removal woke the set
    assert not claims(c)["www-web-1"]["metadata"].get("deletionTimestamp")


def test_a_claim_being_deleted_fails_the_create_until_it_is_gone():
    c = boot()
    must(c.create(statefulset(replicas=2)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    must(c.patch("sts", "web", {"spec": {"replicas": 1}}))
    must(c.patch("pvc", "www-web-1", {"metadata": {"finalizers": ["example.com/hold"]}}, patch_type="merge"))
    must(c.delete("pvc", "www-web-1"))
    must(c.patch("sts", "web", {"spec": {"replicas": 2}}))
    assert pod_names(c) == ["web-0"]
    assert sts_events(c)[-1] == ("Warning", "FailedCreate",
                                 "create Pod web-1 in StatefulSet web failed error: pvc www-web-1 is being deleted")
    must(c.patch("pvc", "www-web-1", {"metadata": {"finalizers": None}}, patch_type="merge"))
    c.cluster.advance(10 * S)  # the retry
    assert pod_names(c) == ["web-0", "web-1"]
    assert not claims(c)["www-web-1"]["metadata"].get("deletionTimestamp")


def test_a_pod_whose_identity_drifted_is_updated_back():
    c = boot()
    must(c.create(statefulset(replicas=1)))
    run_pod(c, "web-0")
    must(c.patch("pods", "web-0", {"metadata": {"labels": {"statefulset.kubernetes.io/pod-name": None}}}, patch_type="merge"))
    labels = must(c.get("pods", "web-0"))["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-0"
    assert sts_events(c)[-1] == ("Normal", "SuccessfulUpdate", "update Pod web-0 in StatefulSet web successful")


def test_a_retention_policy_change_reaches_every_claim():
    c = boot()
    sts = must(c.create(statefulset(replicas=3, parallel=True)))
    for n in ("web-0", "web-1", "web-2"):
        run_pod(c, n)
    must(c.patch("sts", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}}))
    for cl in claims(c).values():
        assert [r["uid"] for r in cl["metadata"]["ownerReferences"]] == [sts["metadata"]["uid"]]
    must(c.patch("sts", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain"}}}))
    assert all("ownerReferences" not in cl["metadata"] for cl in claims(c).values())


class _NoClaims:
    """Refuses claim creates, as a quota with no room for claims would."""

    name = "TestNoClaims"
    message = 'persistentvolumeclaims "www-web-0" is forbidden: exceeded quota: storage, requested: ' \
              'persistentvolumeclaims=1, used: persistentvolumeclaims=0, limited: persistentvolumeclaims=0'

    def mutate(self, ctx):
        return []

    def validate(self, ctx):
        from engine.errors import StatusError

        if ctx.rtype.kind == "PersistentVolumeClaim" and ctx.operation == "CREATE":
            raise StatusError(403, "Forbidden", self.message)


def test_a_refused_claim_fails_its_pod_create():
    c = boot()
    c.cluster.path.admission.append(_NoClaims())
    must(c.create(statefulset(replicas=1)))
    assert pod_names(c) == [] and claims(c) == {}
    msg = _NoClaims.message
    assert sts_events(c) == [
        ("Warning", "FailedCreate", f"create Claim www-web-0 for Pod web-0 in StatefulSet web failed error: {msg}"),
        ("Warning", "FailedCreate", f"create Pod web-0 in StatefulSet web failed error: failed to create PVC www-web-0: {msg}"),
    ]
    c.cluster.path.admission.pop()
    c.cluster.advance(2 * S)
    assert pod_names(c) == ["web-0"] and sorted(claims(c)) == ["www-web-0"]


def _revisions(c) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in must(c.list("controllerrevisions"))["items"]}


def test_a_revision_carries_the_sets_annotations_template_labels_and_hash_and_keeps_them_when_renumbered():
    # newRevision: the set's annotations (a `--record` change-cause among them) are copied at
    # creation; UpdateControllerRevision on a rollback changes only the number.
    c = boot()
    sts = statefulset(replicas=1)
    sts["metadata"]["annotations"] = {"kubernetes.io/change-cause": "create"}
    must(c.create(sts))
    run_pod(c, "web-0")
    first = status(c)["updateRevision"]
    must(c.patch("sts", "web", {"metadata": {"annotations": {"kubernetes.io/change-cause": "set image 1.25"}},
                                "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}))
    run_pod(c, "web-0")
    second = status(c)["updateRevision"]
    revs = _revisions(c)
    assert revs[first]["metadata"]["annotations"] == {"kubernetes.io/change-cause": "create"}
    assert revs[second]["metadata"]["annotations"] == {"kubernetes.io/change-cause": "set image 1.25"}
    hash_ = second[len("web-"):]
    assert revs[second]["metadata"]["labels"] == {"app": "web", "controller.kubernetes.io/hash": hash_}
    ref = revs[second]["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == ("StatefulSet", "web", True, True)
    # The pod's controller-revision-hash label is the revision's *name*.
    assert revision_of(c, "web-0") == second
    # kubectl's rollout undo: revision 1's data as a strategic merge patch.
    must(c.patch("sts", "web", revs[first]["data"]))
    run_pod(c, "web-0")
    revs = _revisions(c)
    assert (revs[first]["revision"], revs[second]["revision"]) == (3, 2)
    assert revs[first]["metadata"]["annotations"] == {"kubernetes.io/change-cause": "create"}
    st = status(c)
    assert st["currentRevision"] == st["updateRevision"] == first == revision_of(c, "web-0")


def test_truncation_keeps_the_revisions_pods_still_run_and_the_current_one():
    # A partition holds web-0 at the first revision: with revisionHistoryLimit 0 the revisions
    # nothing uses go, the current one (status.currentRevision) and those pods run stay.
    c = boot()
    must(c.create(statefulset(replicas=2, partition=1, history_limit=0)))
    run_pod(c, "web-0")
    run_pod(c, "web-1")
    first = status(c)["updateRevision"]
    for image in ("nginx:1.25", "nginx:1.26"):
        must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}))
        c.cluster.advance(60 * S)
        run_pod(c, "web-1")
    st = status(c)
    third = st["updateRevision"]
    assert (st["currentRevision"], revision_of(c, "web-0"), revision_of(c, "web-1")) == (first, first, third)
    assert st["currentReplicas"] == 1 and st["updatedReplicas"] == 1
    assert sorted(_revisions(c)) == sorted([first, third])  # the 1.25 revision went: no pod runs it
    assert [r["revision"] for r in sorted(_revisions(c).values(), key=lambda r: r["revision"])] == [1, 3]
