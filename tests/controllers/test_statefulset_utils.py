"""StatefulSet helpers on their own: the section 4 vectors for names and ordinals, the pod and claim
a set makes, revision data and hashes, the retention policy as owner references, and status."""

import re

import pytest

from engine.controllers.statefulset import retention, revisions
from engine.controllers.statefulset.status import compute_status
from engine.controllers.statefulset.utils import (
    claim_name, identity_matches, new_pod, new_versioned_pod, parent_and_ordinal, pod_claims, storage_matches,
)
from tests.controllers.test_statefulset_support import statefulset


def stored(sts, uid="uid-web", namespace="default"):
    """The set as the API server keeps it (a uid, a namespace, a generation)."""
    out = {**sts, "metadata": {**sts["metadata"], "uid": uid, "namespace": namespace, "generation": 1}}
    return out


@pytest.mark.parametrize("name, want", [
    ("web-0", ("web", 0)), ("my-set-10", ("my-set", 10)), ("web", ("", -1)), ("web-abc", ("", -1)),
    ("web-2147483648", ("web", -1)),  # beyond int32: ParseInt fails, the ordinal is -1
])
def test_parent_and_ordinal(name, want):
    assert parent_and_ordinal(name) == want


def test_claim_name_is_template_set_ordinal():
    sts = stored(statefulset())
    assert claim_name(sts, sts["spec"]["volumeClaimTemplates"][0], 0) == "www-web-0"


def test_new_pod_has_identity_storage_and_controller():
    sts = stored(statefulset(claims=("www", "logs")))
    sts["spec"]["template"]["spec"]["volumes"] = [{"name": "cache", "emptyDir": {}}]
    pod = new_pod(sts, 1)
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["name"] == "web-1" and meta["generateName"] == "web-" and meta["namespace"] == "default"
    assert meta["labels"] == {"app": "web", "statefulset.kubernetes.io/pod-name": "web-1", "apps.kubernetes.io/pod-index": "1"}
    assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "uid-web",
                                        "controller": True, "blockOwnerDeletion": True}]
    assert spec["hostname"] == "web-1" and spec["subdomain"] == "nginx"
    assert spec["volumes"] == [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}},
                               {"name": "logs", "persistentVolumeClaim": {"claimName": "logs-web-1"}},
                               {"name": "cache", "emptyDir": {}}]
    assert identity_matches(sts, pod) and storage_matches(sts, pod)


def test_no_service_name_means_no_subdomain():
    assert "subdomain" not in new_pod(stored(statefulset(service="")), 0)["spec"]


def test_claims_carry_template_labels_and_selector_match_labels():
    sts = stored(statefulset())
    sts["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] = {"tier": "data"}
    [(tname, claim)] = pod_claims(sts, 2)
    assert tname == "www"
    assert claim["metadata"] == {"name": "www-web-2", "namespace": "default", "labels": {"tier": "data", "app": "web"}}
    assert claim["spec"]["resources"] == {"requests": {"storage": "1Gi"}}


@pytest.mark.parametrize("partition, start, ordinal, want", [
    (2, None, 0, "old"), (2, None, 1, "old"), (2, None, 2, "new"), (2, None, 4, "new"),
    (2, 5, 6, "old"), (2, 5, 7, "new"), (0, None, 0, "new"),
])
def test_new_versioned_pod_follows_the_partition(partition, start, ordinal, want):
    sts = stored(statefulset(partition=partition, start=start))
    pod = new_versioned_pod(sts, sts, "old", "new", ordinal)
    assert pod["metadata"]["labels"]["controller-revision-hash"] == want


def test_on_delete_pods_are_made_at_the_update_revision():
    sts = stored(statefulset(on_delete=True))
    assert new_versioned_pod(sts, sts, "old", "new", 0)["metadata"]["labels"]["controller-revision-hash"] == "new"


# --- revisions ---------------------------------------------------------------------------------------


def test_fnv32_is_fnv1_not_fnv1a():
    assert revisions.fnv32(b"") == 0x811C9DC5
    assert revisions.fnv32(b"a") == 0x050C5D7E  # FNV-1a would give 0xe40c292c


def test_go_json_sorts_keys_and_escapes_html():
    assert revisions.go_json({"b": "<&>", "a": [1, None, True]}) == b'{"a":[1,null,true],"b":"\\u003c\\u0026\\u003e"}'


def test_revision_data_replaces_the_template():
    sts = stored(statefulset())
    data = revisions.revision_data(sts)
    tmpl = data["spec"]["template"]
    assert tmpl["$patch"] == "replace" and tmpl["metadata"] == {"creationTimestamp": None, "labels": {"app": "web"}}
    assert revisions.go_json(data).startswith(b'{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,')


# Upstream's `testdata/compatibility_set_1.33.0.json` and the revision 1.33 made from it.
UPSTREAM_TEMPLATE = {
    "metadata": {"annotations": {"test": "value"}, "creationTimestamp": None, "labels": {"app": "foo"}},
    "spec": {"containers": [{"image": "test", "imagePullPolicy": "Always", "name": "test", "resources": {},
                             "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
             "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
             "securityContext": {}, "terminationGracePeriodSeconds": 30},
}


def test_revision_name_matches_upstream_compatibility_data():
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "test", "namespace": "default", "uid": "ec335e25-1045-4216-8634-50cfbe05f3d6",
                        "labels": {"sslabel": "value"}},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "foo"}}, "serviceName": "",
                    "template": {**UPSTREAM_TEMPLATE, "metadata": {k: v for k, v in UPSTREAM_TEMPLATE["metadata"].items()
                                                                   if k != "creationTimestamp"}}}}
    rev = revisions.new_revision(sts, 1, 0)
    assert rev["metadata"]["name"] == "test-c77f6d978"
    assert rev["metadata"]["labels"] == {"app": "foo", "controller.kubernetes.io/hash": "c77f6d978"}
    assert rev["data"] == {"spec": {"template": {"$patch": "replace", **UPSTREAM_TEMPLATE}}}
    # 1.34 stopped writing `creationTimestamp: null`; the same bytes then give its name.
    later = {"spec": {"template": {"$patch": "replace", **UPSTREAM_TEMPLATE,
                                   "metadata": {"annotations": {"test": "value"}, "labels": {"app": "foo"}}}}}
    assert revisions.revision_hash(later, 0) == "776999688b"


def test_revision_names_are_stable_safe_and_follow_the_template():
    sts = stored(statefulset())
    a = revisions.new_revision(sts, 1, 0)
    assert re.fullmatch(r"web-[4-9bcdf]{1,10}", a["metadata"]["name"])
    assert a == revisions.new_revision(sts, 1, 0)
    hash_ = a["metadata"]["name"][len("web-"):]
    assert a["metadata"]["labels"] == {"app": "web", "controller.kubernetes.io/hash": hash_}
    assert a["revision"] == 1 and a["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
    other = stored(statefulset(image="nginx:1.25"))
    assert revisions.new_revision(other, 1, 0)["metadata"]["name"] != a["metadata"]["name"]
    assert revisions.new_revision(sts, 1, 1)["metadata"]["name"] != a["metadata"]["name"]  # the collision count counts


def test_apply_revision_puts_the_template_back():
    old = stored(statefulset(image="nginx:1.24"))
    rev = revisions.new_revision(old, 1, 0)
    new = stored(statefulset(image="nginx:1.25"))
    back = revisions.apply_revision(new, rev)
    assert back["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.24"
    assert "$patch" not in back["spec"]["template"] and new["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_revisions_sort_by_number_then_time_then_name():
    revs = [{"metadata": {"name": n, "creationTimestamp": t}, "revision": r}
            for n, t, r in (("b", "2026-01-01T00:00:01Z", 2), ("c", "2026-01-01T00:00:00Z", 2), ("a", "2026-01-01T00:00:05Z", 1))]
    assert [r["metadata"]["name"] for r in sorted(revs, key=revisions.sort_key)] == ["a", "c", "b"]


# --- retention ---------------------------------------------------------------------------------------


def _claim(*refs):
    return {"metadata": {"name": "www-web-1", "ownerReferences": list(refs)}}


SET_REF = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "uid-web", "controller": True,
           "blockOwnerDeletion": True}
POD_REF = {"apiVersion": "v1", "kind": "Pod", "name": "web-1", "uid": "uid-pod", "controller": True,
           "blockOwnerDeletion": True}


@pytest.mark.parametrize("policy, replicas, want", [
    (("Retain", "Retain"), 3, []),
    (("Delete", "Retain"), 3, [SET_REF]),
    (("Retain", "Delete"), 3, []),
    (("Retain", "Delete"), 1, [POD_REF]),  # web-1 scaled down
    (("Delete", "Delete"), 3, [SET_REF]),
    (("Delete", "Delete"), 1, [POD_REF]),
])
def test_retention_policy_as_owner_references(policy, replicas, want):
    sts = stored(statefulset(replicas=replicas, retention=policy))
    pod = {"metadata": {"name": "web-1", "uid": "uid-pod"}}
    assert retention.updated_owner_refs(_claim(), sts, pod) == want
    assert retention.is_claim_owner_up_to_date(_claim(*want), sts, pod)
    for other in ([], [SET_REF], [POD_REF], [SET_REF, POD_REF]):
        if other != want:
            assert not retention.is_claim_owner_up_to_date(_claim(*other), sts, pod), other


def test_a_stale_reference_is_left_alone_and_blocks_a_new_pod():
    sts = stored(statefulset(retention=("Retain", "Delete")))
    stale = {**POD_REF, "uid": "uid-earlier-pod"}
    new_pod_ = {"metadata": {"name": "web-1"}}
    assert retention.is_claim_owner_up_to_date(_claim(stale), sts, {"metadata": {"name": "web-1", "uid": "uid-pod"}})
    assert retention.claim_is_stale(_claim(stale), new_pod_)
    assert not retention.claim_is_stale(_claim(), new_pod_)


def test_a_foreign_controller_keeps_the_claim_and_ours_are_scrubbed():
    sts = stored(statefulset(retention=("Delete", "Retain")))
    foreign = {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "uid-x", "controller": True}
    pod = {"metadata": {"name": "web-1", "uid": "uid-pod"}}
    assert retention.has_unexpected_controller(_claim(foreign), sts, pod)
    assert retention.is_claim_owner_up_to_date(_claim(foreign), sts, pod)
    assert not retention.is_claim_owner_up_to_date(_claim(foreign, SET_REF), sts, pod)
    assert retention.updated_owner_refs(_claim(foreign, SET_REF), sts, pod) == [foreign]


# --- status ------------------------------------------------------------------------------------------


def _pod(name, rev, phase="Running", ready=True, deleting=False):
    meta = {"name": name, "labels": {"controller-revision-hash": rev}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": phase, "conditions": [
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}


def test_status_counts_and_omits_zero_counts():
    sts = stored(statefulset(replicas=3))
    pods = [_pod("web-0", "a"), _pod("web-1", "b", ready=False), _pod("web-2", "a", deleting=True), _pod("stray", "a")]
    st = compute_status(sts, pods, "a", "b", 0, 0)
    assert st == {"observedGeneration": 1, "replicas": 3, "readyReplicas": 2, "currentReplicas": 1, "updatedReplicas": 1,
                  "currentRevision": "a", "updateRevision": "b", "collisionCount": 0, "availableReplicas": 2}
    assert compute_status(sts, [], "a", "a", 0, 0) == {"observedGeneration": 1, "replicas": 0, "currentRevision": "a",
                                                       "updateRevision": "a", "collisionCount": 0, "availableReplicas": 0}


def test_a_finished_rolling_update_makes_the_update_revision_current():
    sts = stored(statefulset(replicas=2))
    st = compute_status(sts, [_pod("web-0", "b"), _pod("web-1", "b")], "a", "b", 0, 0)
    assert (st["currentRevision"], st["currentReplicas"], st["updatedReplicas"]) == ("b", 2, 2)
    partitioned = stored(statefulset(replicas=2, partition=1))
    st = compute_status(partitioned, [_pod("web-0", "a"), _pod("web-1", "b")], "a", "b", 0, 0)
    assert (st["currentRevision"], st["currentReplicas"], st["updatedReplicas"]) == ("a", 1, 1)
    on_delete = stored(statefulset(replicas=2, on_delete=True))
    assert compute_status(on_delete, [_pod("web-0", "b"), _pod("web-1", "b")], "a", "b", 0, 0)["currentRevision"] == "a"
