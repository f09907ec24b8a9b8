"""Deployment util vectors (k8s-semantics.md 2.2, 2.3, 2.4, 2.6, 2.7 fractions, 1.3 hash)."""

import pytest

from engine.controllers.deployment.util import (
    compute_hash, deployment_complete, deployment_progressing, deployment_timed_out, equal_ignore_hash,
    find_new_replica_set, find_old_replica_sets, get_condition, last_revision, max_revision, max_unavailable,
    min_available, new_condition, new_rs_new_replicas, replica_set_fraction, resolve_fenceposts,
    safe_encode_string, set_condition, set_new_replica_set_annotations)
from engine.model.intstr import IntOrStringError
from engine.clock import parse_time
from tests.controllers.test_deployment_builders import NEW, OLD, OLDER, T0, deployment, rs

# --- 2.2 fenceposts ------------------------------------------------------------------------------


@pytest.mark.parametrize("surge,unavailable,desired,expected", [
    ("0%", "0%", 0, (0, 1)),
    ("39%", "39%", 10, (4, 3)),
    (None, "39%", 10, (0, 3)),
    ("39%", None, 10, (4, 0)),
    (None, None, 10, (0, 1)),
    ("25%", "25%", 10, (3, 2)),
    ("25%", "25%", 4, (1, 1)),
    ("25%", "25%", 3, (1, 0)),
    ("25%", "25%", 1, (1, 0)),
    (0, "1%", 2, (0, 1)),
    (2, 0, 10, (2, 0)),
])
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    assert resolve_fenceposts(surge, unavailable, desired) == expected


@pytest.mark.parametrize("surge,unavailable", [("oops", "39%"), ("55%", "urg")])
def test_resolve_fenceposts_rejects_bad_values(surge, unavailable):
    with pytest.raises(IntOrStringError):
        resolve_fenceposts(surge, unavailable, 10)


@pytest.mark.parametrize("replicas,mu,expected", [
    (10, 5, 5), (10, 10, 10), (5, 10, 5), (0, 10, 0), (10, "50%", 5), (10, "100%", 10), (5, "100%", 5)])
def test_max_unavailable(replicas, mu, expected):
    assert max_unavailable(deployment(replicas=replicas, max_surge=1, max_unavailable=mu)) == expected


def test_max_unavailable_and_min_available_are_zero_for_recreate():
    d = deployment(replicas=10, strategy="Recreate")
    assert max_unavailable(d) == 0 and min_available(d) == 0


@pytest.mark.parametrize("replicas,mu,expected", [
    (10, 5, 5), (10, 10, 0), (5, 10, 0), (0, 10, 0), (10, "60%", 4), (10, "100%", 0), (5, "100%", 0)])
def test_min_available(replicas, mu, expected):
    assert min_available(deployment(replicas=replicas, max_surge=1, max_unavailable=mu)) == expected


# --- 2.3 new / old replica sets ------------------------------------------------------------------


def _template(labels, name="foo", node=None, annotations=None):
    t = {"metadata": {"labels": dict(labels)}, "spec": {"containers": [{"name": name, "image": "foo/bar"}]}}
    if node:
        t["spec"]["nodeName"] = node
    if annotations:
        t["metadata"]["annotations"] = annotations
    return t


@pytest.mark.parametrize("a,b,equal", [
    (_template({"something": "else"}), _template({"something": "else"}), True),
    (_template({"pod-template-hash": "v1", "something": "else"}), _template({"pod-template-hash": "v2", "something": "else"}), True),
    (_template({"pod-template-hash": "v1", "something": "else"}), _template({"something": "else"}), True),
    (_template({"something": "else"}), _template({"pod-template-hash": "v2"}), False),
    (_template({"pod-template-hash": "v1"}), _template({"pod-template-hash": "v1", "something": "else"}), False),
    (_template({"a": "b"}, annotations={"x": "1"}), _template({"a": "b"}, annotations={"x": "2"}), False),
    (_template({"a": "b"}, name="foo"), _template({"a": "b"}, name="bar"), False),
    (_template({"a": "b"}, node="n1"), _template({"a": "b"}, node="n2"), False),
    # semantic equality: null, empty and absent are the same (kubectl rollout undo sends creationTimestamp: null)
    ({**_template({"a": "b"}), "metadata": {"labels": {"a": "b"}, "creationTimestamp": None}}, _template({"a": "b"}), True),
])
def test_equal_ignore_hash_is_symmetric(a, b, equal):
    assert equal_ignore_hash(a, b) is equal
    assert equal_ignore_hash(b, a) is equal


def _find_fixture():
    d = deployment(selector={"foo": "bar"})
    tmpl = d["spec"]["template"]
    new_rs = rs("foo-new", 1, {"foo": "bar"}, created=NEW, template={**tmpl, "metadata": {"labels": {"foo": "bar", "pod-template-hash": "h1"}}})
    dup = rs("foo-dup", 1, {"foo": "bar"}, created=OLD, template={**tmpl, "metadata": {"labels": {"foo": "bar", "pod-template-hash": "h2"}}})
    old = rs("foo-old", 0, {"foo": "bar"}, created=OLDER, template=_template({"foo": "bar", "pod-template-hash": "h0"}, name="old"))
    return d, new_rs, dup, old


def test_find_new_replica_set_picks_the_oldest_matching():
    d, new_rs, dup, old = _find_fixture()
    assert find_new_replica_set(d, [new_rs, old]) is new_rs
    assert find_new_replica_set(d, [new_rs, old, dup]) is dup
    assert find_new_replica_set(d, [old]) is None


def test_find_old_replica_sets():
    d, new_rs, dup, old = _find_fixture()
    required, all_old = find_old_replica_sets(d, [new_rs, old])
    assert required == [] and all_old == [old]
    old["spec"]["replicas"] = 1
    required, all_old = find_old_replica_sets(d, [old, new_rs, dup])
    assert all_old == [old, new_rs] and required == [old, new_rs]
    old["spec"]["replicas"] = 0
    required, all_old = find_old_replica_sets(d, [old, new_rs, dup])
    assert required == [new_rs]


# --- 2.4 revisions -------------------------------------------------------------------------------


def test_revision_history_is_trimmed_from_the_front():
    d = deployment()
    r = rs("foo-1", 1)
    expected = {11: None, 12: "11", 13: "11,12", 14: "12,13", 15: "13,14", 20: "18,19"}
    for rev in range(11, 21):
        set_new_replica_set_annotations(d, r, str(rev), True, 5)
        ann = r["metadata"]["annotations"]
        assert ann["deployment.kubernetes.io/revision"] == str(rev)
        if rev in expected:
            assert ann.get("deployment.kubernetes.io/revision-history") == expected[rev]


def _sync_revision(d, new_rs, old_rss):
    new_revision = str(max_revision(old_rss) + 1)
    set_new_replica_set_annotations(d, new_rs, new_revision, True)
    return new_rs["metadata"]["annotations"]


def test_rollback_reuses_the_old_replica_set_with_a_new_revision():
    d = deployment(annotations={"kubernetes.io/change-cause": "undo"})
    rs1 = rs("foo-a", 0, revision=1)
    rs2 = rs("foo-b", 3, revision=2)
    ann = _sync_revision(d, rs1, [rs2])  # template back to A
    assert ann["deployment.kubernetes.io/revision"] == "3"
    assert ann["deployment.kubernetes.io/revision-history"] == "1"
    assert ann["kubernetes.io/change-cause"] == "undo"
    ann = _sync_revision(d, rs2, [rs1])  # then to B
    assert ann["deployment.kubernetes.io/revision"] == "4" and ann["deployment.kubernetes.io/revision-history"] == "2"
    ann = _sync_revision(d, rs1, [rs2])  # then A again
    assert ann["deployment.kubernetes.io/revision"] == "5" and ann["deployment.kubernetes.io/revision-history"] == "1,3"


def test_revision_never_decreases():
    d = deployment()
    single = rs("foo-a", 1, revision=1)
    assert not set_new_replica_set_annotations(d, single, str(max_revision([]) + 1), True)
    assert single["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    seven = rs("foo-b", 1, revision=7)
    assert not set_new_replica_set_annotations(d, seven, str(max_revision([rs("x", 0, revision=3)]) + 1), True)
    assert seven["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "7"


def test_skipped_annotations_are_not_copied():
    d = deployment(annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}", "kubernetes.io/change-cause": "x",
                                "deployment.kubernetes.io/revision": "9", "deprecated.deployment.rollback.to": "1", "team": "a"})
    r = rs("foo-a", 1)
    set_new_replica_set_annotations(d, r, "1", False)
    assert r["metadata"]["annotations"] == {"kubernetes.io/change-cause": "x", "team": "a",
                                            "deployment.kubernetes.io/revision": "1",
                                            "deployment.kubernetes.io/desired-replicas": "1",
                                            "deployment.kubernetes.io/max-replicas": "1"}


@pytest.mark.parametrize("revs,expected", [([1, 2, 3], 2), ([5], 0), ([2, 2], 2), ([], 0), ([3, 1, 2], 2)])
def test_last_revision(revs, expected):
    assert last_revision([rs(f"r{i}", 0, revision=v) for i, v in enumerate(revs)]) == expected


def test_max_revision_skips_unparsable_and_missing():
    assert max_revision([rs("a", 0, revision="x"), rs("b", 0), rs("c", 0, revision=4)]) == 4


# --- 1.3 hash --------------------------------------------------------------------------------------


def test_safe_encode_string():
    assert safe_encode_string("1234567890") == "56789bcdf4"


def test_pod_template_hash_format_stability_and_sensitivity():
    t = _template({"app": "web"})
    h = compute_hash(t, None)
    assert h == compute_hash(_template({"app": "web"}), None)
    assert all(c in "456789bcdf" for c in h) and 1 <= len(h) <= 10
    assert compute_hash(_template({"app": "web"}, name="other"), None) != h
    assert compute_hash(t, 1) != h and compute_hash(t, 1) != compute_hash(t, 2)
    assert compute_hash({**t, "metadata": {**t["metadata"], "creationTimestamp": None}}, None) == h


# --- 2.5 NewRSNewReplicas --------------------------------------------------------------------------


@pytest.mark.parametrize("strategy,replicas,new_replicas,surge,expected", [
    ("RollingUpdate", 1, 5, 1, 5),
    ("RollingUpdate", 6, 2, 10, 6),
    ("Recreate", 3, 1, 0, 3),
])
def test_new_rs_new_replicas(strategy, replicas, new_replicas, surge, expected):
    d = deployment(replicas=replicas, strategy=strategy, max_surge=surge, max_unavailable=1)
    new_rs = rs("foo-new", new_replicas)
    assert new_rs_new_replicas(d, [rs("foo-all", 5)], new_rs) == expected


# --- 2.7 getReplicaSetFraction ---------------------------------------------------------------------


@pytest.mark.parametrize("replicas,status_replicas,surge,rs_replicas,max_annotation,expected", [
    (0, 0, 0, 10, None, -10),
    (10, 0, 0, 5, None, 0),
    (10, 0, 0, 5, "0", 0),
    (120, 100, 0, 50, None, 10),
    (120, 100, 0, 50, "0", 10),
    (120, 0, 0, 50, "100", 10),
    (120, 0, 10, 50, "110", 9),
    (10, 0, 0, 6, "12", -1),
    (100, 0, 10, 50, "130", -8),
])
def test_replica_set_fraction(replicas, status_replicas, surge, rs_replicas, max_annotation, expected):
    d = deployment(replicas=replicas, max_surge=surge, max_unavailable=1, status={"replicas": status_replicas})
    ann = {"deployment.kubernetes.io/max-replicas": max_annotation} if max_annotation is not None else None
    assert replica_set_fraction(rs("foo-1", rs_replicas, annotations=ann), d) == expected


# --- 2.6 status predicates and conditions ----------------------------------------------------------


@pytest.mark.parametrize("desired,current,updated,available,mu,ms,expected", [
    (5, 5, 5, 4, 1, 0, False),
    (5, 5, 5, 3, 1, 0, False),
    (5, 5, 5, 5, 0, 0, True),
    (5, 5, 4, 5, 0, 0, False),
    (1, 2, 1, 1, 0, 1, False),
    (1, 1, 1, 0, 1, 1, False),
])
def test_deployment_complete(desired, current, updated, available, mu, ms, expected):
    d = deployment(replicas=desired, max_surge=ms, max_unavailable=mu, generation=1)
    status = {"replicas": current, "updatedReplicas": updated, "availableReplicas": available, "observedGeneration": 1}
    assert deployment_complete(d, status) is expected


@pytest.mark.parametrize("old,new,expected", [
    ((10, 4, 4, 4), (10, 6, 4, 4), True),
    ((10, 4, 4, 4), (10, 4, 4, 4), False),
    ((10, 4, 6, 6), (8, 4, 6, 6), True),
    ((10, 7, 3, 3), (10, 6, 3, 3), False),
    ((10, 4, 7, 7), (8, 8, 5, 5), True),
    ((10, 10, 9, 8), (10, 10, 10, 8), True),
    ((10, 10, 10, 9), (10, 10, 10, 10), True),
])
def test_deployment_progressing(old, new, expected):
    keys = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    d = deployment(status=dict(zip(keys, old)))
    assert deployment_progressing(d, dict(zip(keys, new))) is expected


def _progressing(last_update, reason="ReplicaSetUpdated"):
    return {"conditions": [{"type": "Progressing", "status": "True", "reason": reason,
                            "lastUpdateTime": last_update, "lastTransitionTime": last_update}]}


@pytest.mark.parametrize("pds,last_update,reason,expected", [
    (None, "2016-05-20T00:01:09Z", "ReplicaSetUpdated", False),
    (2**31 - 1, "2016-05-20T00:01:09Z", "ReplicaSetUpdated", False),
    (10, "2016-05-20T00:01:09Z", "ReplicaSetUpdated", True),
    (10, "2016-05-20T00:01:11Z", "ReplicaSetUpdated", False),
    (10, "2016-05-20T00:01:09Z", "NewReplicaSetAvailable", False),
    (10, "2016-05-20T00:01:11Z", "ProgressDeadlineExceeded", True),
])
def test_deployment_timed_out(pds, last_update, reason, expected):
    d = deployment(pds=pds)
    now = parse_time("2016-05-20T00:01:20Z")
    assert deployment_timed_out(d, _progressing(last_update, reason), now) is expected


def test_set_condition():
    status = {}
    set_condition(status, new_condition("Available", "True", "MinimumReplicasAvailable", "", T0))
    assert [c["type"] for c in status["conditions"]] == ["Available"]
    status = {}
    set_condition(status, new_condition("Progressing", "False", "ForSomeReason", "", T0))
    set_condition(status, new_condition("Progressing", "True", "BecauseItIs", "", T0 + 5_000_000))
    assert len(status["conditions"]) == 1 and get_condition(status, "Progressing")["reason"] == "BecauseItIs"
    # same status, new reason: lastTransitionTime kept; same status and reason: nothing changes
    set_condition(status, new_condition("Progressing", "True", "Other", "m", T0 + 9_000_000))
    c = get_condition(status, "Progressing")
    assert c["reason"] == "Other" and c["lastTransitionTime"] == "2016-05-20T00:00:05Z" and c["lastUpdateTime"] == "2016-05-20T00:00:09Z"
    set_condition(status, new_condition("Progressing", "True", "Other", "changed", T0 + 20_000_000))
    assert get_condition(status, "Progressing")["message"] == "m"
