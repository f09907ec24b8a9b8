"""Rolling update, Recreate and cleanup vectors (k8s-semantics.md 2.5, 2.8, 2.10), as upstream's
rolling_test.go / sync_test.go / recreate_test.go drive them: call the function, read the requests."""

import pytest

from engine.controllers.deployment.cleanup import cleanable_to_delete, cleanup_deployment
from engine.controllers.deployment.recreate import old_pods_running
from engine.controllers.deployment.rolling import (cleanup_unhealthy_replicas, reconcile_new_replica_set,
                                                   reconcile_old_replica_sets,
                                                   scale_down_old_replica_sets_for_rolling_update)
from tests.controllers.test_deployment_builders import (NEW, OLD, OLDER, deployment, events, pod, rs, scaled_sizes,
                                                        sync_ctx)


@pytest.mark.parametrize("replicas,surge,old,new,expected", [
    (10, 0, 10, 0, None),
    (10, 2, 10, 0, 2),
    (10, 2, 5, 0, 7),
    (10, 2, 10, 2, None),
    (10, 2, 2, 11, 10),
])
def test_reconcile_new_replica_set(replicas, surge, old, new, expected):
    d = deployment(replicas=replicas, max_surge=surge, max_unavailable=0)
    new_rs, old_rs = rs("foo-v2", new), rs("foo-v2", old)
    ctx = sync_ctx(d)
    scaled = reconcile_new_replica_set(ctx, [new_rs, old_rs], new_rs)
    if expected is None:
        assert not scaled and ctx.requests == []
        return
    assert scaled
    patches = [r for r in ctx.requests if r.resource == "replicasets"]
    assert len(patches) == 1 and patches[0].body["spec"]["replicas"] == expected


@pytest.mark.parametrize("replicas,mu,old,new,ready_old,ready_new,expected", [
    (10, 0, 10, 0, 10, 0, 9),
    (10, 2, 10, 0, 10, 0, 8),
    (10, 2, 10, 0, 8, 0, 8),   # unhealthy old replicas cleaned up
    (10, 2, 10, 0, 9, 0, 8),   # one unhealthy cleaned up, one healthy scaled down
    (10, 2, 8, 2, 8, 0, None),  # the new RS's unavailable pods block further scale-down
])
def test_reconcile_old_replica_sets(replicas, mu, old, new, ready_old, ready_new, expected):
    d = deployment(replicas=replicas, max_surge=0, max_unavailable=mu, selector={"foo": "new"})
    new_rs = rs("foo-new", new, {"foo": "new"}, available=ready_new)
    old_rs = rs("foo-old", old, {"foo": "old"}, available=ready_old)
    ctx = sync_ctx(d)
    scaled = reconcile_old_replica_sets(ctx, [old_rs, new_rs], [old_rs], new_rs)
    assert scaled is (expected is not None)
    if expected is not None:
        assert scaled_sizes(ctx.requests)["foo-old"] == expected


def test_reconcile_old_replica_sets_scales_twice_with_an_event_each():
    d = deployment(replicas=10, max_surge=0, max_unavailable=2)
    old_rs = rs("foo-old", 10, available=9)
    ctx = sync_ctx(d)
    reconcile_old_replica_sets(ctx, [old_rs, rs("foo-new", 0)], [old_rs], rs("foo-new", 0))
    assert events(ctx.requests) == [
        ("Normal", "ScalingReplicaSet", "Scaled down replica set foo-old to 9 from 10"),
        ("Normal", "ScalingReplicaSet", "Scaled down replica set foo-old to 8 from 9"),
    ]


@pytest.mark.parametrize("ready,max_cleanup,expected", [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)])
def test_cleanup_unhealthy_replicas(ready, max_cleanup, expected):
    d = deployment(replicas=10, max_surge=2, max_unavailable=2)
    ctx = sync_ctx(d)
    _, count = cleanup_unhealthy_replicas(ctx, [rs("foo-v2", 10, available=ready)], max_cleanup)
    assert count == expected


@pytest.mark.parametrize("mu,ready,old,expected", [(0, 10, 10, 9), (2, 10, 10, 8), (2, 8, 10, None), (2, 10, 0, None), (2, 1, 10, None)])
def test_scale_down_old_replica_sets_for_rolling_update(mu, ready, old, expected):
    d = deployment(replicas=10, max_surge=0, max_unavailable=mu)
    old_rs = rs("foo-v2", old, available=ready)
    ctx = sync_ctx(d)
    count = scale_down_old_replica_sets_for_rolling_update(ctx, [old_rs], [old_rs])
    if expected is None:
        assert count == 0 and ctx.requests == []
    else:
        assert count > 0 and scaled_sizes(ctx.requests) == {"foo-v2": expected}


def test_rolling_walk_through_replicas_10_surge_3_unavailable_2():
    """k8s-semantics.md 2.5's derived walk-through, one sync at a time, on the pure functions."""
    d = deployment(replicas=10, max_surge="25%", max_unavailable="25%")
    old = rs("foo-old", 10, created=OLD)
    new = rs("foo-new", 0, created=NEW, available=0)

    def step():
        ctx = sync_ctx(d, [old, new])
        if not reconcile_new_replica_set(ctx, [old, new], new):
            reconcile_old_replica_sets(ctx, [old, new], [old] if old["spec"]["replicas"] else [], new)
        for name, size in scaled_sizes(ctx.requests).items():
            (old if name == "foo-old" else new)["spec"]["replicas"] = size
        return old["spec"]["replicas"], new["spec"]["replicas"]

    def become_available():
        for r in (old, new):
            r["status"]["availableReplicas"] = r["status"]["replicas"] = r["spec"]["replicas"]

    old["status"]["replicas"] = 10
    assert step() == (10, 3)  # new 0 -> 3, total 13
    assert step() == (8, 3)   # old 10 -> 8 (13 - 8 - 3 = 2)
    old["status"]["availableReplicas"] = 8
    assert step() == (8, 5)   # new 3 -> 5
    assert step() == (8, 5)   # 13 - 8 - 5 = 0: wait
    become_available()        # the 5 new pods are available
    assert step() == (3, 5)   # available 13 -> old 8 -> 3
    assert step() == (3, 10)  # new 5 -> 10
    become_available()
    assert step() == (0, 10)
    assert step() == (0, 10)


# --- 2.8 cleanup ---------------------------------------------------------------------------------


def _rs_with_status(name, spec, status, created=OLDER, revision=None, deleting=False):
    r = rs(name, spec, {"foo": "bar"}, created=created, status_replicas=status, revision=revision)
    r["metadata"]["generation"] = 0
    r["status"]["observedGeneration"] = 0
    if deleting:
        r["metadata"]["deletionTimestamp"] = "2016-05-20T00:00:00Z"
    return r


@pytest.mark.parametrize("specs,limit,expected", [
    ([(0, 0), (0, 0), (0, 0)], 1, 2),
    ([(0, 0), (0, 1), (1, 0), (1, 1)], 0, 1),
    ([(0, 0), (0, 0)], 0, 2),
    ([(1, 1), (1, 1)], 0, 0),
    ([(0, 0), (0, 0), (0, 0)], 2**31 - 1, 0),
])
def test_cleanup_deployment_counts(specs, limit, expected):
    old = [_rs_with_status(f"foo-{i + 1}", s, st) for i, (s, st) in enumerate(specs)]
    d = deployment(replicas=1, revision_history_limit=limit)
    ctx = sync_ctx(d, old)
    cleanup_deployment(ctx, old)
    assert len([r for r in ctx.requests if r.verb == "delete"]) == expected


def test_cleanup_skips_replica_sets_being_deleted():
    d = deployment(revision_history_limit=0)
    assert cleanable_to_delete(d, [_rs_with_status("foo-1", 0, 0, deleting=True)]) == []


_TIMES = ["2016-05-20T00:00:00Z", "2016-05-20T00:00:01Z", "2016-05-20T00:00:02Z", "2016-05-20T00:00:03Z"]


@pytest.mark.parametrize("revisions,replicas,limit,deleted", [
    (["1", "2"], [0, 0], 1, {"foo-1"}),
    (["2", "1"], [0, 0], 1, {"foo-2"}),
    (["1", None], [0, 0], 1, {"foo-2"}),
    ([None, "2"], [0, 0], 1, {"foo-1"}),
    (["1", "2", "3"], [1, 0, 0], 1, {"foo-2"}),
    (["1", "2", "3"], [1, 1, 0], 1, set()),
    (["3", "1", "4", "2"], [0, 0, 0, 0], 2, {"foo-2", "foo-4"}),
])
def test_cleanup_deployment_order(revisions, replicas, limit, deleted):
    old = [_rs_with_status(f"foo-{i + 1}", n, n, created=_TIMES[i], revision=rev)
           for i, (rev, n) in enumerate(zip(revisions, replicas))]
    d = deployment(revision_history_limit=limit)
    assert {r["metadata"]["name"] for r in cleanable_to_delete(d, old)} == deleted


# --- 2.10 Recreate -------------------------------------------------------------------------------


def _old_pods_case(old_status_replicas, pod_phases):
    new_rs = rs("new", 1, uid="new-uid")
    old_rss = [rs(f"old-{i}", 0, uid=f"old-{i}-uid", status_replicas=n) for i, n in enumerate(old_status_replicas)]
    pods = {}
    for i, phases in enumerate(pod_phases):
        owner = old_rss[i] if i < len(old_rss) else rs(f"extra-{i}", 0, uid=f"extra-{i}-uid")
        pods[owner["metadata"]["uid"]] = [pod(f"p{i}-{j}", owner, phase) for j, phase in enumerate(phases)]
    return new_rs, old_rss, pods


@pytest.mark.parametrize("old_status,phases,expected", [
    ([], [], False),
    ([0], [[None, None]], True),                        # pods without a phase
    ([1], [[]], True),                                  # status still reports a pod
    ([0], [[]], False),
    ([0], [["Failed", "Succeeded"]], False),
    ([0], [["Unknown"]], True),
    ([0], [["Pending"]], True),
    ([0], [["Running"]], True),
    ([0, 0, 0], [["Failed", "Succeeded"], [], ["Pending"]], True),
])
def test_old_pods_running(old_status, phases, expected):
    new_rs, old_rss, pods = _old_pods_case(old_status, phases)
    assert old_pods_running(new_rs, old_rss, pods) is expected


def test_pods_of_the_new_replica_set_do_not_count():
    new_rs = rs("new", 1, uid="new-uid")
    assert not old_pods_running(new_rs, [], {"new-uid": [pod("p", new_rs, "Running")]})
